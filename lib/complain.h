/*
 * complain.h — one complaint per problem, on stderr or in a note for `mapscope run` (start.c).
 */
#ifndef MS_COMPLAIN_H
#define MS_COMPLAIN_H

#pragma GCC visibility push(hidden)

/* Complain on stderr once per key (a small integer naming the problem). */
/* What stderr is at start-up: complaints go there only while it still is. */
void ms_complain_init(void);
/* On a program thread: write a complaint the helper thread could not (its
 * own descriptor table cannot always reach the program's stderr). */
void ms_complain_flush(void);
void ms_complain_once(int key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum {
    MS_ONCE_WRITE = 0,
    MS_ONCE_OOM,
    MS_ONCE_STACKS_FULL,
    MS_ONCE_HELPER,
    MS_ONCE_UNWIND,
    MS_ONCE_SIGNAL,
    MS_ONCE_PRIVDROP,
    MS_ONCE_TRIGGER,
    MS_ONCE_KEYS
};

#pragma GCC visibility pop

#endif /* MS_COMPLAIN_H */
