/*
 * run_notes.h — `mapscope run`'s reading of the shim's notes (the format is
 * format/notes_format.h; tools/run_notes.c explains).
 */
#ifndef MS_TOOLS_RUN_NOTES_H
#define MS_TOOLS_RUN_NOTES_H

#include <stdbool.h>
#include <stddef.h>

/* Make an empty notes directory for one run; NULL when it cannot. */
char *ms_notes_make(void);
/* Print, on stderr, each process that started under the shim and left no
 * exit dump under prefix, with the reason; returns how many. */
size_t ms_notes_report(const char *dir, const char *prefix, bool follow);
/* Remove the directory and the notes in it. */
void ms_notes_remove(const char *dir);

#endif /* MS_TOOLS_RUN_NOTES_H */
