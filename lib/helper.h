/*
 * helper.h — periodic work and the helper thread (helper.c).
 */
#ifndef MS_HELPER_H
#define MS_HELPER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "shim_base.h"

#pragma GCC visibility push(hidden)

int ms_helper_start(void);
/* Periodic work (timeline point, birth clamping) when now (coarse
 * monotonic ns) has reached ms_maintain_due. */
extern _Atomic uint64_t ms_maintain_due;
void ms_maintain(uint64_t now);
static inline void ms_maybe_maintain(uint64_t now)
{
    if (MS_UNLIKELY(now >= atomic_load_explicit(&ms_maintain_due, memory_order_relaxed)))
        ms_maintain(now);
}
void ms_helper_after_fork_child(void);
/* The helper's thread id while it runs (0: none): the shim's own thread,
 * which the reachability scan neither stops nor counts (reach.c). */
extern _Atomic int ms_helper_tid;
/* The program's pthread_create (exported by interpose.c): starts the
 * helper first (helper.c says why), then the program's thread. */
int ms_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int ms_signal_install(int sig);

#pragma GCC visibility pop

#endif /* MS_HELPER_H */
