/*
 * sessiond.c — the bundled example that `make demo` and the README's first
 * command profile: a tiny session service with a realistic leak story.
 *
 * It handles a stream of requests.  Each request is parsed into a
 * temporary buffer (freed at once: heaptrack-style "temporary
 * allocations"), looks up or creates a session, and every 50 requests old
 * sessions expire.  One bug leaks memory, as it does in real services:
 *  1. session_expire() frees the session but forgets its token, which
 *     make_token() allocated: one 33-byte block per expired session, and
 *     nothing points to it any more (valgrind's "definitely lost").
 * Two more blocks are never freed but are not leaks: globals point to them
 * until the end (valgrind's "still reachable"):
 *  2. load_config() keeps a copy of the configuration in `config`;
 *  3. log_open() keeps a 4 KiB log buffer in `log_buf`.
 * Everything else is freed at exit.  Expected at exit with the default
 * arguments (2000 requests): 1990 lost blocks at 1 leak site, and 3 still
 * reachable blocks (the two above and stdout's buffer); see
 * tests/report/run.sh.
 *
 *   sessiond [REQUESTS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct session {
    unsigned id;
    char *token; /* 32 hex characters + NUL */
    char *user;
    unsigned hits;
};

struct cache {
    struct session **v;
    size_t n, cap;
};

/* Globals, as in real services (and so the compiler cannot drop the
 * allocations as dead stores). */
char *config;
char *log_buf;

NOINLINE static char *make_token(unsigned id)
{
    char *t = malloc(33);
    if (t)
        snprintf(t, 33, "%08x%08x%08x%08x", id, id * 2654435761u, ~id, id ^ 0x5bd1e995u);
    return t;
}

NOINLINE static struct session *session_new(unsigned id, const char *user)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->id = id;
    s->token = make_token(id);
    s->user = strdup(user);
    return s;
}

NOINLINE static void session_expire(struct session *s)
{
    /* BUG: s->token is never freed. */
    free(s->user);
    free(s);
}

NOINLINE static void cache_put(struct cache *c, struct session *s)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct session **v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = s;
}

NOINLINE static void cache_expire_old(struct cache *c, unsigned keep)
{
    while (c->n > keep) {
        session_expire(c->v[0]);
        memmove(c->v, c->v + 1, (c->n - 1) * sizeof *c->v);
        c->n--;
    }
}

NOINLINE static void cache_free(struct cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i]->token);
        free(c->v[i]->user);
        free(c->v[i]);
    }
    free(c->v);
}

/* Parses "user=NAME" into a temporary copy: allocated and freed at once. */
NOINLINE static unsigned parse_request(unsigned i)
{
    char *buf = malloc(64);
    if (!buf)
        return 0;
    snprintf(buf, 64, "user=u%u;path=/api/%u", i % 37, i);
    unsigned h = 0;
    for (char *p = buf; *p; p++)
        h = h * 31 + (unsigned char)*p;
    free(buf);
    return h;
}

NOINLINE static void load_config(void)
{
    /* Never freed, but kept in a global: still reachable, not a leak. */
    config = strdup("listen=127.0.0.1:8080 workers=4 session_ttl=50");
}

NOINLINE static void log_open(void)
{
    /* Never freed, but kept in a global: still reachable, not a leak. */
    log_buf = malloc(4096);
    if (log_buf)
        log_buf[0] = 0;
}

int main(int argc, char **argv)
{
    unsigned requests = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 2000;
    struct cache c = {0};
    unsigned long checksum = 0;
    load_config();
    log_open();
    for (unsigned i = 0; i < requests; i++) {
        checksum += parse_request(i);
        char user[16];
        snprintf(user, sizeof user, "u%u", i % 37);
        cache_put(&c, session_new(i, user));
        if (i % 50 == 49)
            cache_expire_old(&c, 10);
    }
    printf("sessiond: %u requests, %zu sessions live, checksum %lu\n", requests, c.n, checksum);
    cache_free(&c);
    return 0;
}
