/*
 * config.c — the MAPSCOPE_* environment variables.
 *
 * Read once at start-up, before the first allocation is recorded.  Nothing
 * here allocates (the shim may be inside the program's first malloc), and a
 * bad value never stops the program: it gets one line on stderr naming the
 * variable, what was given and what is accepted, and the default is used.
 * The grammar and ranges are format/option_grammar.c's, the very ones
 * `mapscope run` checks its options with.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "option_grammar.h"
#include "packed.h"
#include "shim_config.h"

_Static_assert(MS_MAX_STACKS_MAX == MS_STACK_MAX, "the grammar's bound is the stack table's");
_Static_assert(sizeof ms_cfg.output == PATH_MAX, "the grammar bounds paths by PATH_MAX");

struct ms_config ms_cfg;

void ms_config_defaults(struct ms_config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->output, "mapscope.dump");
    c->interval_ns = 0;
    c->sample_bytes = 0;
    c->depth = MS_DEPTH_DEFAULT;
    c->unwind = MS_UNWIND_DWARF;
    c->linger_ns = 60ull * 1000000000ull;
    c->follow_children = false;
    c->signal = 0;
    c->trigger[0] = '\0';
    c->timeline_ns = 10000000ull; /* 10 ms, coarsened as the run goes on (timeline.c) */
    c->max_stacks = MS_STACK_MAX; /* every id the packed value can hold */
    c->reach = MS_REACH_EXIT;
}

static void append(char *buf, size_t cap, size_t *n, const char *s)
{
    size_t k = strlen(s);
    if (k > cap - 1 - *n)
        k = cap - 1 - *n;
    memcpy(buf + *n, s, k);
    *n += k;
    buf[*n] = '\0';
}

/* "mapscope: <the grammar's refusal>; using the default (D)\n", built
 * without stdio (no locale, no allocation). */
static void complain(ms_complain_fn fn, enum ms_opt id, const char *val)
{
    char line[1024] = "mapscope: ";
    size_t n = strlen(line);
    n += ms_opt_refusal(line + n, sizeof line - n - 64, id, val); /* 64: room for the rest */
    append(line, sizeof line, &n, "; using the default (");
    append(line, sizeof line, &n, ms_opt_specs[id].dflt);
    append(line, sizeof line, &n, ")\n");
    fn(line);
}

/* Store one parsed value in its field. */
static void apply(struct ms_config *c, enum ms_opt id, const struct ms_opt_value *v)
{
    switch (id) {
    case MS_OPT_OUTPUT:
        memcpy(c->output, v->text, v->num + 1); /* the grammar bounds the length */
        break;
    case MS_OPT_INTERVAL:
        c->interval_ns = v->num;
        break;
    case MS_OPT_SAMPLE:
        c->sample_bytes = v->num;
        break;
    case MS_OPT_DEPTH:
        c->depth = (unsigned)v->num;
        break;
    case MS_OPT_UNWIND:
        c->unwind = (enum ms_unwind)v->num;
        break;
    case MS_OPT_LINGER:
        c->linger_ns = v->num;
        break;
    case MS_OPT_FOLLOW_CHILDREN:
        c->follow_children = v->on;
        break;
    case MS_OPT_SIGNAL:
        c->signal = v->sig;
        break;
    case MS_OPT_TRIGGER:
        memcpy(c->trigger, v->text, v->num + 1);
        break;
    case MS_OPT_TIMELINE:
        c->timeline_ns = v->num;
        break;
    case MS_OPT_MAX_STACKS:
        c->max_stacks = (uint32_t)v->num;
        break;
    case MS_OPT_REACH:
        c->reach = (enum ms_reach_when)v->num;
        break;
    case MS_OPT_COUNT:
        break;
    }
}

int ms_config_load(struct ms_config *c, ms_getenv_fn get, ms_complain_fn fn)
{
    int bad = 0;
    ms_config_defaults(c);
    for (int id = 0; id < MS_OPT_COUNT; id++) {
        const char *text = get(ms_opt_specs[id].env);
        struct ms_opt_value v;
        if (!text)
            continue;
        if (ms_opt_parse((enum ms_opt)id, text, &v) == 0) {
            apply(c, (enum ms_opt)id, &v);
        } else {
            complain(fn, (enum ms_opt)id, text);
            bad++;
        }
    }
    return bad;
}

static void make_absolute(char *path, size_t cap, const char *cwd)
{
    if (!path[0] || path[0] == '/' || !cwd || !cwd[0])
        return;
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s/%s", cwd, path);
    if (n > 0 && (size_t)n < cap - 32)
        memcpy(path, tmp, (size_t)n + 1);
}

void ms_config_resolve(struct ms_config *c, const char *cwd)
{
    make_absolute(c->output, sizeof c->output, cwd);
    make_absolute(c->trigger, sizeof c->trigger, cwd);
}
