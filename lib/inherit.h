/*
 * inherit.h — a fork child's inherited blocks, kept apart from its own (inherit.c).
 */
#ifndef MS_INHERIT_H
#define MS_INHERIT_H

#include <stdbool.h>

#pragma GCC visibility push(hidden)

/* Blocks a fork child inherited: levels of handed-over books (0 outside
 * fork children, so the free path tests one word). */
extern unsigned ms_inherit_levels;
void ms_inherit_after_fork_child(void);
/* p is a block inherited from a parent: count its free and forget it. */
bool ms_inherit_free(void *p);
struct ms_dw;
/* A TOTALS record of the inherited_* figures (fork children only). */
void ms_inherit_write(struct ms_dw *w);
/* fork handlers (through ms_books_lock_all and co.). */
void ms_inherit_lock_all(void);
void ms_inherit_unlock_all(void);
void ms_inherit_reinit_locks(void);

#pragma GCC visibility pop

#endif /* MS_INHERIT_H */
