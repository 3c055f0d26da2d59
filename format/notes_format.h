/*
 * notes_format.h — how the shim tells `mapscope run` about the processes of
 * the tree it runs, so that run can say which of them left no dump and why
 * (the contract; lib/run_notes.c writes, tools/run_notes.c reads).
 *
 * `mapscope run` makes an empty directory and names it in MAPSCOPE_NOTES
 * (an absolute path).  Every process that starts the shim (the program, a
 * forked child, an exec'd program when children are followed) creates
 * DIR/<pid>.start holding "<ppid> <exe>\n"; a process whose dump cannot be
 * written, or which has anything else to complain about, creates
 * DIR/<pid>.error holding its complaint, one line, instead of writing it
 * on the program's stderr (which is the program's: a service's log, or a
 * pipe another process reads).  Each note is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, written with one write(2) and
 * closed at once, so the shim holds no descriptor; the first note of a
 * kind wins.  When run is root the directory is mode 1733 (sticky, no
 * listing), so processes that dropped privileges can still leave notes;
 * run reads them as untrusted text (bounded, regular files only).
 */
#ifndef MS_NOTES_FORMAT_H
#define MS_NOTES_FORMAT_H

#define MS_NOTES_ENV  "MAPSCOPE_NOTES"
#define MS_NOTE_START "start"
#define MS_NOTE_ERROR "error"
#define MS_NOTE_MAX   1024 /* bytes of one note that are read */

#endif /* MS_NOTES_FORMAT_H */
