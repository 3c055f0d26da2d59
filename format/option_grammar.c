/*
 * option_grammar.c — the shim's settings: their grammar, ranges and the
 * words of a refusal (see option_grammar.h for why there is one copy).
 *
 * Compiled into the shim, where it runs before the first allocation is
 * recorded: no malloc, no stdio, no locale.  Case is folded by hand (ASCII)
 * because strcasecmp and isdigit consult the locale.
 */
#include <limits.h>
#include <signal.h>
#include <string.h>

#include "option_grammar.h"

#define NS_PER_S 1000000000ull

/* The words; the table below states each option's range and default. */
#define W_DURATION "N[ms|s|m|h|d], no unit = seconds"
#define W_BYTES    "N[K|M|G|T][i][B]"

/* The words of a setting that takes one of a few, in enum order. */
static const char *const unwind_names[] = {
    [MS_UNWIND_DWARF] = "dwarf",
    [MS_UNWIND_LIBUNWIND] = "libunwind",
    [MS_UNWIND_FP] = "fp",
    NULL,
};

static const char *const reach_names[] = {
    [MS_REACH_OFF] = "off",
    [MS_REACH_EXIT] = "exit",
    [MS_REACH_ALL] = "all",
    NULL,
};

const struct ms_opt_spec ms_opt_specs[MS_OPT_COUNT] = {
    [MS_OPT_OUTPUT] = {"MAPSCOPE_OUTPUT", "--output", MS_KIND_PATH, false, 1, PATH_MAX - 33,
                       "a non-empty file path prefix", "mapscope.dump"},
    [MS_OPT_INTERVAL] = {"MAPSCOPE_INTERVAL", "--interval", MS_KIND_DURATION, true, NS_PER_S,
                         UINT64_MAX, "0, off, or " W_DURATION " of at least 1s, e.g. 600 or 10m",
                         "off"},
    [MS_OPT_SAMPLE] = {"MAPSCOPE_SAMPLE", "--sample", MS_KIND_BYTES, true, 1, 1ull << 40,
                       "0, off, or mean bytes between samples " W_BYTES " up to 1T, e.g. 512K",
                       "off: every allocation"},
    [MS_OPT_DEPTH] = {"MAPSCOPE_DEPTH", "--depth", MS_KIND_COUNT, false, 1, MS_DEPTH_MAX,
                      "an integer from 1 to 256", "64"},
    [MS_OPT_UNWIND] = {"MAPSCOPE_UNWIND", "--unwind", MS_KIND_WORD, false, 0, 0,
                       "dwarf, libunwind or fp", "dwarf", unwind_names},
    [MS_OPT_LINGER] = {"MAPSCOPE_LINGER", "--linger", MS_KIND_DURATION, true, 0, UINT64_MAX,
                       "0, off, or " W_DURATION ", e.g. 60s or 1h", "60s"},
    [MS_OPT_FOLLOW_CHILDREN] = {"MAPSCOPE_FOLLOW_CHILDREN", "--follow-children", MS_KIND_BOOL,
                                false, 0, 0, "1, yes, true, on, or 0, no, false, off", "0"},
    [MS_OPT_SIGNAL] = {"MAPSCOPE_SIGNAL", "--signal", MS_KIND_SIGNAL, true, 0, 0,
                       "0, off, a signal name like USR2 or SIGUSR2, RTMIN+N, or a number; not "
                       "KILL, STOP or a fault signal",
                       "off"},
    [MS_OPT_TRIGGER] = {"MAPSCOPE_TRIGGER", "--trigger", MS_KIND_PATH, true, 1, PATH_MAX - 33,
                        "a file path", "none"},
    [MS_OPT_TIMELINE] = {"MAPSCOPE_TIMELINE", "--timeline", MS_KIND_DURATION, true, 10000000ull,
                         UINT64_MAX, "0, off, or " W_DURATION " of at least 10ms, e.g. 1s", "10ms"},
    [MS_OPT_MAX_STACKS] = {"MAPSCOPE_MAX_STACKS", NULL, MS_KIND_COUNT, false, 16, MS_MAX_STACKS_MAX,
                           "an integer from 16 to 1048575", "1048575"},
    [MS_OPT_REACH] = {"MAPSCOPE_REACH", "--reach", MS_KIND_WORD, false, 0, 0, "exit, all or off",
                      "exit", reach_names},
};

/* ------------------------------------------------------ ASCII helpers -- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s equals word (lower case) ignoring ASCII case. */
static bool same_word(const char *s, const char *word)
{
    for (; *word; s++, word++)
        if (lower(*s) != *word)
            return false;
    return *s == '\0';
}

/* s starts with word (lower case) ignoring ASCII case. */
static bool has_prefix(const char *s, const char *word)
{
    for (; *word; s++, word++)
        if (lower(*s) != *word)
            return false;
    return true;
}

static bool is_off_word(const char *s)
{
    return same_word(s, "off") || same_word(s, "none");
}

/* A decimal number of at least one digit; *rest points past it. */
static int leading_u64(const char *s, uint64_t *v, const char **rest)
{
    if (!s || !is_digit(*s))
        return -1;
    uint64_t x = 0;
    for (; is_digit(*s); s++)
        if (__builtin_mul_overflow(x, 10, &x) ||
            __builtin_add_overflow(x, (uint64_t)(*s - '0'), &x))
            return -1;
    *v = x;
    *rest = s;
    return 0;
}

struct unit {
    const char *suffix; /* lower case */
    uint64_t mult;
};

/* N followed by exactly one of units' suffixes (ignoring case). */
static int number_with_unit(const char *s, const struct unit *units, uint64_t *out)
{
    uint64_t v;
    const char *rest;
    if (leading_u64(s, &v, &rest) != 0)
        return -1;
    for (const struct unit *u = units; u->suffix; u++)
        if (same_word(rest, u->suffix))
            return __builtin_mul_overflow(v, u->mult, out) ? -1 : 0;
    return -1;
}

/* ---------------------------------------------------------- the parts -- */

int ms_parse_duration(const char *s, bool allow_off, uint64_t *ns)
{
    static const struct unit units[] = {
        {"", NS_PER_S},
        {"s", NS_PER_S},
        {"ms", 1000000ull},
        {"m", 60ull * NS_PER_S},
        {"h", 3600ull * NS_PER_S},
        {"d", 86400ull * NS_PER_S},
        {NULL, 0},
    };
    if (!s)
        return -1;
    if (allow_off && is_off_word(s)) {
        *ns = 0;
        return 0;
    }
    return number_with_unit(s, units, ns);
}

int ms_parse_bytes(const char *s, bool allow_off, uint64_t *bytes)
{
    /* Every spelling of N[K|M|G|T][i][B]; "i" only after a multiple. */
    static const struct unit units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1ull << 10},
        {"kb", 1ull << 10},
        {"ki", 1ull << 10},
        {"kib", 1ull << 10},
        {"m", 1ull << 20},
        {"mb", 1ull << 20},
        {"mi", 1ull << 20},
        {"mib", 1ull << 20},
        {"g", 1ull << 30},
        {"gb", 1ull << 30},
        {"gi", 1ull << 30},
        {"gib", 1ull << 30},
        {"t", 1ull << 40},
        {"tb", 1ull << 40},
        {"ti", 1ull << 40},
        {"tib", 1ull << 40},
        {NULL, 0},
    };
    if (!s)
        return -1;
    if (allow_off && is_off_word(s)) {
        *bytes = 0;
        return 0;
    }
    return number_with_unit(s, units, bytes);
}

int ms_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
    static const struct unit units[] = {{"", 1}, {NULL, 0}};
    uint64_t x;
    if (number_with_unit(s, units, &x) != 0 || x < lo || x > hi)
        return -1;
    *v = x;
    return 0;
}

int ms_parse_bool(const char *s, bool *v)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    if (!s)
        return -1;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (same_word(s, yes[i])) {
            *v = true;
            return 0;
        }
        if (same_word(s, no[i])) {
            *v = false;
            return 0;
        }
    }
    return -1;
}

/* Signals the shim may take for snapshots.  Not KILL/STOP (cannot be
 * caught) and not the synchronous fault signals (a crash must stay a
 * crash). */
static const struct {
    const char *name;
    int sig;
} sig_names[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"USR1", SIGUSR1},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"CHLD", SIGCHLD},     {"CONT", SIGCONT}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

static bool sig_allowed(int sig)
{
    switch (sig) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
    case SIGABRT:
    case SIGTRAP:
        return false;
    default:
        return sig >= 1 && sig <= SIGRTMAX;
    }
}

static bool same_name(const char *s, const char *upper)
{
    for (; *upper; s++, upper++)
        if (lower(*s) != lower(*upper))
            return false;
    return *s == '\0';
}

int ms_parse_signal(const char *s, int *sig)
{
    if (!s)
        return -1;
    if (is_off_word(s) || (s[0] == '0' && s[1] == '\0')) {
        *sig = 0;
        return 0;
    }
    if (is_digit(*s)) {
        uint64_t v;
        if (ms_parse_uint(s, 1, 64, &v) != 0 || !sig_allowed((int)v))
            return -1;
        *sig = (int)v;
        return 0;
    }
    const char *name = has_prefix(s, "sig") ? s + 3 : s;
    for (size_t i = 0; i < sizeof sig_names / sizeof sig_names[0]; i++) {
        if (same_name(name, sig_names[i].name)) {
            *sig = sig_names[i].sig;
            return 0;
        }
    }
    /* RTMIN+n / RTMAX-n */
    int base = 0, dir = 0;
    if (has_prefix(name, "rtmin"))
        base = SIGRTMIN, dir = 1;
    else if (has_prefix(name, "rtmax"))
        base = SIGRTMAX, dir = -1;
    if (!dir)
        return -1;
    uint64_t off = 0;
    const char *r = name + 5;
    if (*r && ((dir > 0 && *r != '+') || (dir < 0 && *r != '-')))
        return -1;
    if (*r && ms_parse_uint(r + 1, 0, 32, &off) != 0)
        return -1;
    int v = base + dir * (int)off;
    if (v < SIGRTMIN || v > SIGRTMAX)
        return -1;
    *sig = v;
    return 0;
}

const char *ms_signal_name(int sig)
{
    for (size_t i = 0; i < sizeof sig_names / sizeof sig_names[0]; i++)
        if (sig_names[i].sig == sig)
            return sig_names[i].name;
    return NULL;
}

const char *ms_reach_name(enum ms_reach_when r)
{
    return (unsigned)r <= MS_REACH_ALL ? reach_names[r] : reach_names[MS_REACH_EXIT];
}

const char *ms_unwind_name(enum ms_unwind u)
{
    return (unsigned)u <= MS_UNWIND_FP ? unwind_names[u] : unwind_names[0];
}

/* -------------------------------------------------------- the options -- */

/* A number the option takes: 0 when it may be off, else within [lo, hi]. */
static bool in_range(const struct ms_opt_spec *o, uint64_t x)
{
    return (x == 0 && o->off_ok) || (x >= o->lo && x <= o->hi);
}

int ms_opt_parse(enum ms_opt id, const char *text, struct ms_opt_value *v)
{
    if ((unsigned)id >= MS_OPT_COUNT || !text)
        return -1;
    const struct ms_opt_spec *o = &ms_opt_specs[id];
    struct ms_opt_value r = {.text = text};
    switch (o->kind) {
    case MS_KIND_PATH:
        r.num = strlen(text);
        if (!in_range(o, r.num))
            return -1;
        break;
    case MS_KIND_DURATION:
        if (ms_parse_duration(text, o->off_ok, &r.num) != 0 || !in_range(o, r.num))
            return -1;
        break;
    case MS_KIND_BYTES:
        if (ms_parse_bytes(text, o->off_ok, &r.num) != 0 || !in_range(o, r.num))
            return -1;
        break;
    case MS_KIND_COUNT:
        if (ms_parse_uint(text, 0, UINT64_MAX, &r.num) != 0 || !in_range(o, r.num))
            return -1;
        break;
    case MS_KIND_BOOL:
        if (ms_parse_bool(text, &r.on) != 0)
            return -1;
        break;
    case MS_KIND_SIGNAL:
        if (ms_parse_signal(text, &r.sig) != 0)
            return -1;
        break;
    case MS_KIND_WORD:
        for (r.num = 0; o->words[r.num] && !same_word(text, o->words[r.num]); r.num++)
            ;
        if (!o->words[r.num])
            return -1;
        break;
    default:
        return -1;
    }
    *v = r;
    return 0;
}

/* Append at most max bytes of s to buf (length *len, capacity cap); control
 * characters become '?' so the refusal stays one line. */
static void put(char *buf, size_t cap, size_t *len, const char *s, size_t max)
{
    for (; *s && max && *len + 1 < cap; s++, max--)
        buf[(*len)++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    buf[*len] = '\0';
}

size_t ms_opt_refusal(char *buf, size_t cap, enum ms_opt id, const char *text)
{
    size_t n = 0;
    if (!cap)
        return 0;
    buf[0] = '\0';
    if ((unsigned)id >= MS_OPT_COUNT)
        return 0;
    const struct ms_opt_spec *o = &ms_opt_specs[id];
    put(buf, cap, &n, o->env, SIZE_MAX);
    put(buf, cap, &n, "='", SIZE_MAX);
    put(buf, cap, &n, text ? text : "", 100); /* the value may be anything, of any length */
    put(buf, cap, &n, "' is not valid (accepted: ", SIZE_MAX);
    put(buf, cap, &n, o->accepted, SIZE_MAX);
    put(buf, cap, &n, ")", SIZE_MAX);
    return n;
}
