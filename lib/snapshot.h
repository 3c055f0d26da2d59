/*
 * snapshot.h — one dump, record by record (snapshot.c).
 */
#ifndef MS_SNAPSHOT_H
#define MS_SNAPSHOT_H

#pragma GCC visibility push(hidden)

/* Write one dump.  reason: enum ms_dump_reason.  Returns 0 on success. */
int ms_snapshot(unsigned reason);
void ms_snapshot_lock(void);
void ms_snapshot_unlock(void);
void ms_snapshot_reinit_after_fork(void);

#pragma GCC visibility pop

#endif /* MS_SNAPSHOT_H */
