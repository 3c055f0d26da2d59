/*
 * trigger.h — snapshot requests through a file, served once per process (trigger.c).
 */
#ifndef MS_TRIGGER_H
#define MS_TRIGGER_H

#include <stdbool.h>

#pragma GCC visibility push(hidden)

/* Remember the process's start as the last request served. */
void ms_trigger_init(void);
/* Does the trigger file carry a request this process has not served?  If
 * so it counts as served from now on. */
bool ms_trigger_requested(void);

#pragma GCC visibility pop

#endif /* MS_TRIGGER_H */
