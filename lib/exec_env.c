/*
 * exec_env.c — exec'd children are profiled only when asked.
 *
 * LD_PRELOAD is inherited through exec, so without care every program a
 * service runs (a shell, a compressor) would load the shim and write its
 * own dumps.  Unless MAPSCOPE_FOLLOW_CHILDREN=1, the shim removes itself
 * from LD_PRELOAD in its own environment at start-up (before main), which
 * is what exec passes on.  Forked children without exec keep being
 * profiled: they are the same program.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_env.h"

/* Does this LD_PRELOAD entry name the library `self` (a path or a bare
 * file name)? */
static bool names_self(const char *entry, size_t len, const char *self)
{
    const char *base = strrchr(self, '/');
    base = base ? base + 1 : self;
    size_t bl = strlen(base), sl = strlen(self);
    if (len == sl && memcmp(entry, self, len) == 0)
        return true;
    return len >= bl && memcmp(entry + len - bl, base, bl) == 0 &&
           (len == bl || entry[len - bl - 1] == '/');
}

void ms_preload_without(const char *value, const char *self, char *out, size_t outsz)
{
    size_t o = 0;
    const char *p = value;
    out[0] = '\0';
    while (*p) {
        while (*p == ' ' || *p == ':')
            p++;
        const char *s = p;
        while (*p && *p != ' ' && *p != ':')
            p++;
        size_t len = (size_t)(p - s);
        if (len == 0 || names_self(s, len, self))
            continue;
        if (o + len + 2 > outsz)
            break;
        if (o)
            out[o++] = ':';
        memcpy(out + o, s, len);
        o += len;
        out[o] = '\0';
    }
}

/* The environment is edited in place, not with setenv/unsetenv: a program
 * may define its own (bash does, and they do nothing before bash's main),
 * and those would be the ones called.  The edited entry points to static
 * storage, which lives as long as the process. */
void ms_exec_env_unfollow(void)
{
    extern char **environ;
    static char entry[PATH_MAX * 4 + 16];
    Dl_info info;
    char **e;
    for (e = environ; e && *e; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
            break;
    if (!e || !*e || !dladdr((void *)ms_exec_env_unfollow, &info) || !info.dli_fname)
        return;
    char rest[PATH_MAX * 4];
    ms_preload_without(*e + 11, info.dli_fname, rest, sizeof rest);
    if (strcmp(rest, *e + 11) == 0)
        return;
    if (rest[0]) {
        snprintf(entry, sizeof entry, "LD_PRELOAD=%s", rest);
        *e = entry;
    } else {
        /* Remove the entry, keeping the array's order. */
        for (; *e; e++)
            e[0] = e[1];
    }
}
