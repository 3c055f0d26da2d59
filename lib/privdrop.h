/*
 * privdrop.h — the setuid family, seen coming (privdrop.c).
 */
#ifndef MS_PRIVDROP_H
#define MS_PRIVDROP_H

#pragma GCC visibility push(hidden)

/* Find the real setuid family (from the constructor: not safe later in a
 * forked child). */
void ms_privdrop_resolve(void);

#pragma GCC visibility pop

#endif /* MS_PRIVDROP_H */
