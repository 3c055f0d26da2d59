/*
 * config.c — the MAPSCOPE_* environment variables.
 *
 * Read once at start-up, before the first allocation is recorded.  Nothing
 * here allocates (the shim may be inside the program's first malloc), and a
 * bad value never stops the program: it gets one line on stderr naming the
 * variable, what was given and what is accepted, and the default is used.
 * The parsers are pure functions so the unit tests can drive them.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shim.h"

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

/* Unsigned decimal with an optional unit suffix taken from units[] (matched
 * case-insensitively); *mult receives the unit's multiplier. */
struct unit {
    const char *suffix;
    uint64_t mult;
};

static int parse_with_units(const char *s, const struct unit *units, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    uint64_t v = 0;
    while (isdigit((unsigned char)*s)) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
            return -1;
        s++;
    }
    for (const struct unit *u = units; u->suffix; u++) {
        if (strcasecmp(s, u->suffix) == 0)
            return __builtin_mul_overflow(v, u->mult, out) ? -1 : 0;
    }
    return -1;
}

static bool is_off(const char *s)
{
    return strcasecmp(s, "off") == 0 || strcasecmp(s, "none") == 0;
}

int ms_parse_duration(const char *s, bool allow_off, uint64_t *ns)
{
    static const struct unit units[] = {
        {"", 1000000000ull},          {"s", 1000000000ull},           {"ms", 1000000ull},
        {"m", 60ull * 1000000000ull}, {"h", 3600ull * 1000000000ull}, {NULL, 0},
    };
    if (!s)
        return -1;
    if (allow_off && is_off(s)) {
        *ns = 0;
        return 0;
    }
    uint64_t v;
    if (parse_with_units(s, units, &v) != 0)
        return -1;
    if (v == 0 && !allow_off)
        return -1;
    *ns = v;
    return 0;
}

int ms_parse_bytes(const char *s, uint64_t *bytes)
{
    static const struct unit units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1ull << 10},
        {"kb", 1ull << 10},
        {"kib", 1ull << 10},
        {"m", 1ull << 20},
        {"mb", 1ull << 20},
        {"mib", 1ull << 20},
        {"g", 1ull << 30},
        {"gb", 1ull << 30},
        {"gib", 1ull << 30},
        {NULL, 0},
    };
    if (!s)
        return -1;
    if (is_off(s)) {
        *bytes = 0;
        return 0;
    }
    return parse_with_units(s, units, bytes);
}

int ms_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
    static const struct unit units[] = {{"", 1}, {NULL, 0}};
    uint64_t x;
    if (parse_with_units(s, units, &x) != 0 || x < lo || x > hi)
        return -1;
    *v = x;
    return 0;
}

int ms_parse_bool(const char *s, bool *v)
{
    if (!s)
        return -1;
    if (!strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
        !strcasecmp(s, "on")) {
        *v = true;
        return 0;
    }
    if (!strcmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "false") ||
        !strcasecmp(s, "off")) {
        *v = false;
        return 0;
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

int ms_parse_signal(const char *s, int *sig)
{
    if (!s)
        return -1;
    if (is_off(s) || !strcmp(s, "0")) {
        *sig = 0;
        return 0;
    }
    if (isdigit((unsigned char)*s)) {
        uint64_t v;
        if (ms_parse_uint(s, 1, 64, &v) != 0 || !sig_allowed((int)v))
            return -1;
        *sig = (int)v;
        return 0;
    }
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    for (size_t i = 0; i < sizeof sig_names / sizeof sig_names[0]; i++) {
        if (strcasecmp(name, sig_names[i].name) == 0) {
            *sig = sig_names[i].sig;
            return 0;
        }
    }
    /* RTMIN+n / RTMAX-n */
    int base = 0, dir = 0;
    if (strncasecmp(name, "RTMIN", 5) == 0)
        base = SIGRTMIN, dir = 1;
    else if (strncasecmp(name, "RTMAX", 5) == 0)
        base = SIGRTMAX, dir = -1;
    if (dir) {
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
    return -1;
}

const char *ms_signal_name(int sig)
{
    for (size_t i = 0; i < sizeof sig_names / sizeof sig_names[0]; i++)
        if (sig_names[i].sig == sig)
            return sig_names[i].name;
    return NULL;
}

const char *ms_unwind_name(enum ms_unwind u)
{
    switch (u) {
    case MS_UNWIND_LIBUNWIND:
        return "libunwind";
    case MS_UNWIND_FP:
        return "fp";
    default:
        return "dwarf";
    }
}

static int parse_unwind(const char *s, enum ms_unwind *u)
{
    for (int i = MS_UNWIND_DWARF; i <= MS_UNWIND_FP; i++) {
        if (s && strcmp(s, ms_unwind_name((enum ms_unwind)i)) == 0) {
            *u = (enum ms_unwind)i;
            return 0;
        }
    }
    return -1;
}

static void complain(ms_complain_fn fn, const char *var, const char *val, const char *accepted,
                     const char *dflt)
{
    char line[512];
    snprintf(line, sizeof line,
             "mapscope: %s='%.100s' is not valid (accepted: %s); using the default (%s)\n", var,
             val, accepted, dflt);
    fn(line);
}

static int path_ok(const char *s, size_t cap)
{
    return s && *s && strlen(s) < cap - 32; /* room for ".<pid>.<seq>.tmp..." */
}

int ms_config_load(struct ms_config *c, ms_getenv_fn get, ms_complain_fn fn)
{
    int bad = 0;
    const char *v;
    uint64_t x;
    ms_config_defaults(c);

#define MS_BAD(var, accepted, dflt)                                                                \
    do {                                                                                           \
        complain(fn, var, v, accepted, dflt);                                                      \
        bad++;                                                                                     \
    } while (0)

    if ((v = get("MAPSCOPE_OUTPUT")) != NULL) {
        if (path_ok(v, sizeof c->output))
            strcpy(c->output, v);
        else
            MS_BAD("MAPSCOPE_OUTPUT", "a non-empty file path prefix", "mapscope.dump");
    }
    if ((v = get("MAPSCOPE_INTERVAL")) != NULL) {
        if (ms_parse_duration(v, true, &x) == 0 && (x == 0 || x >= 1000000000ull))
            c->interval_ns = x;
        else
            MS_BAD("MAPSCOPE_INTERVAL", "0, off, or N[s|m|h] of at least 1s, e.g. 600 or 10m",
                   "off");
    }
    if ((v = get("MAPSCOPE_SAMPLE")) != NULL) {
        if (ms_parse_bytes(v, &x) == 0 && x <= (1ull << 40))
            c->sample_bytes = x;
        else
            MS_BAD("MAPSCOPE_SAMPLE", "0, off, or mean bytes between samples N[K|M|G], e.g. 512K",
                   "off: every allocation");
    }
    if ((v = get("MAPSCOPE_DEPTH")) != NULL) {
        if (ms_parse_uint(v, 1, MS_DEPTH_MAX, &x) == 0)
            c->depth = (unsigned)x;
        else
            MS_BAD("MAPSCOPE_DEPTH", "an integer from 1 to 256", "64");
    }
    if ((v = get("MAPSCOPE_UNWIND")) != NULL) {
        if (parse_unwind(v, &c->unwind) != 0)
            MS_BAD("MAPSCOPE_UNWIND", "dwarf, libunwind or fp", "dwarf");
    }
    if ((v = get("MAPSCOPE_LINGER")) != NULL) {
        if (ms_parse_duration(v, true, &x) == 0)
            c->linger_ns = x;
        else
            MS_BAD("MAPSCOPE_LINGER", "0, off, or N[ms|s|m|h], e.g. 60s or 1h", "60s");
    }
    if ((v = get("MAPSCOPE_FOLLOW_CHILDREN")) != NULL) {
        if (ms_parse_bool(v, &c->follow_children) != 0)
            MS_BAD("MAPSCOPE_FOLLOW_CHILDREN", "0 or 1", "0");
    }
    if ((v = get("MAPSCOPE_SIGNAL")) != NULL) {
        if (ms_parse_signal(v, &c->signal) != 0)
            MS_BAD("MAPSCOPE_SIGNAL",
                   "off, a signal name like USR2 or SIGUSR2, RTMIN+N, or a number; not KILL, "
                   "STOP or a fault signal",
                   "off");
    }
    if ((v = get("MAPSCOPE_TRIGGER")) != NULL && *v) {
        if (path_ok(v, sizeof c->trigger))
            strcpy(c->trigger, v);
        else
            MS_BAD("MAPSCOPE_TRIGGER", "a file path", "none");
    }
    if ((v = get("MAPSCOPE_TIMELINE")) != NULL) {
        if (ms_parse_duration(v, true, &x) == 0 && (x == 0 || x >= 10000000ull))
            c->timeline_ns = x;
        else
            MS_BAD("MAPSCOPE_TIMELINE", "0, off, or N[ms|s|m|h] of at least 10ms, e.g. 1s", "10ms");
    }
    if ((v = get("MAPSCOPE_REACH")) != NULL) {
        if (ms_parse_reach(v, &c->reach) != 0)
            MS_BAD("MAPSCOPE_REACH", "exit, all or off", "exit");
    }
    if ((v = get("MAPSCOPE_MAX_STACKS")) != NULL) {
        if (ms_parse_uint(v, 16, MS_STACK_MAX, &x) == 0)
            c->max_stacks = (uint32_t)x;
        else
            MS_BAD("MAPSCOPE_MAX_STACKS", "an integer from 16 to 1048575", "1048575");
    }
#undef MS_BAD
    return bad;
}

int ms_parse_reach(const char *s, enum ms_reach_when *r)
{
    static const char *const names[] = {
        [MS_REACH_OFF] = "off", [MS_REACH_EXIT] = "exit", [MS_REACH_ALL] = "all"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *r = (enum ms_reach_when)i;
            return 0;
        }
    return -1;
}

const char *ms_reach_name(enum ms_reach_when r)
{
    return r == MS_REACH_OFF ? "off" : r == MS_REACH_ALL ? "all" : "exit";
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
