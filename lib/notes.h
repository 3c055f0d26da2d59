/*
 * notes.h — the shim's side of the notes for `mapscope run` (run_notes.c; the format:
 * format/notes_format.h).
 */
#ifndef MS_NOTES_H
#define MS_NOTES_H

#include <stdbool.h>
#include <stddef.h>

#pragma GCC visibility push(hidden)

/* Notes for `mapscope run` (format/notes_format.h): read MAPSCOPE_NOTES; are they on;
 * "this process started"; a complaint (one line). */
void ms_notes_init(void);
bool ms_notes_on(void);
void ms_note_start(void);
void ms_note_error(const char *line, size_t len);

#pragma GCC visibility pop

#endif /* MS_NOTES_H */
