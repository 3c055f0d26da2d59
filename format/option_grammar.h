/*
 * option_grammar.h — the one grammar of the shim's settings, shared by the
 * shim (MAPSCOPE_* variables, lib/config.c) and `mapscope run` (its options,
 * tools/run.c), so a value one side accepts the other accepts too.
 *
 * Before this file each side had its own parsers of the same names: `run
 * --linger 2d` passed the command and was then refused by the shim, which
 * ran with its default.  Now `run` asks the same table the shim uses and
 * refuses, with the same words, what the shim would refuse.
 *
 * The grammar (documented in libmapscope(7) and mapscope-run(1)):
 *   duration  N with an optional unit ms, s, m, h or d (no unit: seconds)
 *   bytes     N with an optional K, M, G or T (binary), optional i, optional B
 *   count     N, a decimal integer
 *   words     off, none, yes, signal names and unwinder names, any case
 * Options whose 0 means "off" also take the words off and none.
 *
 * Everything here runs inside the profiled program's first malloc: no
 * allocation, no stdio, no locale (ASCII rules only), no static state.
 *
 * A new setting: an enum ms_opt entry and a row of ms_opt_specs here (a
 * setting of a few words is MS_KIND_WORD with its word list), its field
 * and apply() case in lib/config.c, and the `run` option calling
 * refused() in tools/run.c; tests/shim/options.sh gets a line.
 */
#ifndef MS_OPTION_GRAMMAR_H
#define MS_OPTION_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* The unwinders the shim offers; their names are part of the grammar and of
 * the dump's "unwind" setting. */
enum ms_unwind {
    MS_UNWIND_DWARF = 0, /* cached .eh_frame walk, libunwind where rules are unusual */
    MS_UNWIND_LIBUNWIND, /* unw_backtrace on every allocation */
    MS_UNWIND_FP,        /* frame-pointer walk (programs built with frame pointers) */
};
const char *ms_unwind_name(enum ms_unwind u);

/* Which dumps get a reachability scan (lib/reach.c); the names are the
 * dump's "reach" setting. */
enum ms_reach_when {
    MS_REACH_OFF = 0,
    MS_REACH_EXIT, /* the exit dump and requested ones (signal, trigger, API) */
    MS_REACH_ALL,  /* every dump, periodic ones too */
};
const char *ms_reach_name(enum ms_reach_when r);

/* Every setting of the shim, in the order ms_opt_specs lists them. */
enum ms_opt {
    MS_OPT_OUTPUT,
    MS_OPT_INTERVAL,
    MS_OPT_SAMPLE,
    MS_OPT_DEPTH,
    MS_OPT_UNWIND,
    MS_OPT_LINGER,
    MS_OPT_FOLLOW_CHILDREN,
    MS_OPT_SIGNAL,
    MS_OPT_TRIGGER,
    MS_OPT_TIMELINE,
    MS_OPT_MAX_STACKS,
    MS_OPT_REACH,
    MS_OPT_COUNT
};

enum ms_opt_kind {
    MS_KIND_PATH,     /* a file path (prefix); fits PATH_MAX with the shim's suffixes */
    MS_KIND_DURATION, /* nanoseconds */
    MS_KIND_BYTES,
    MS_KIND_COUNT,
    MS_KIND_BOOL,
    MS_KIND_SIGNAL, /* a signal the shim may take: not KILL, STOP or a fault signal */
    MS_KIND_WORD,   /* one of the spec's words; the value is its index */
};

#define MS_DEPTH_MAX      256
#define MS_DEPTH_DEFAULT  64
#define MS_MAX_STACKS_MAX 1048575u /* every id the shim's packed value holds (MS_STACK_MAX) */

struct ms_opt_spec {
    const char *env;  /* MAPSCOPE_... */
    const char *flag; /* `mapscope run`'s long option, NULL when it has none */
    enum ms_opt_kind kind;
    bool off_ok;              /* 0, off and none mean off (paths: "" means none) */
    uint64_t lo, hi;          /* range of the other numeric values, inclusive */
    const char *accepted;     /* the grammar in words, for the one-line refusal */
    const char *dflt;         /* the default in words */
    const char *const *words; /* MS_KIND_WORD: the words, NULL-terminated */
};
extern const struct ms_opt_spec ms_opt_specs[MS_OPT_COUNT];

/* A parsed value: num for durations (ns), bytes, counts and words; on
 * for booleans; sig for signals (0 = off); text for paths (the input). */
struct ms_opt_value {
    uint64_t num;
    bool on;
    int sig;
    const char *text;
};

/* Parse text as the value of option id.  Returns 0, or -1 when the text is
 * not in the option's grammar or range (v is then untouched). */
int ms_opt_parse(enum ms_opt id, const char *text, struct ms_opt_value *v);

/* The refusal both sides print: "MAPSCOPE_X='text' is not valid (accepted:
 * ...)", NUL-terminated and truncated to cap.  Returns its length. */
size_t ms_opt_refusal(char *buf, size_t cap, enum ms_opt id, const char *text);

/* The grammar's parts, for the report's own options.  Each returns 0, or -1
 * when s is not of the form (or overflows); the words off and none give 0
 * only when allow_off. */
int ms_parse_duration(const char *s, bool allow_off, uint64_t *ns);
int ms_parse_bytes(const char *s, bool allow_off, uint64_t *bytes);
int ms_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);
int ms_parse_bool(const char *s, bool *v);
int ms_parse_signal(const char *s, int *sig);
const char *ms_signal_name(int sig); /* "USR2", or NULL for unnamed numbers */

#pragma GCC visibility pop

#endif /* MS_OPTION_GRAMMAR_H */
