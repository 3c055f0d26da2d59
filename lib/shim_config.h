/*
 * shim_config.h — the shim's settings (MAPSCOPE_*), read with format/'s option grammar (config.c).
 */
#ifndef MS_SHIM_CONFIG_H
#define MS_SHIM_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "option_grammar.h"

#pragma GCC visibility push(hidden)

/* enum ms_unwind, MS_DEPTH_* and the parsers: the option grammar, shared
 * with `mapscope run`. */
#include "option_grammar.h"

struct ms_config {
    char output[PATH_MAX]; /* dump path prefix, absolute after ms_config_resolve */
    uint64_t interval_ns;  /* periodic snapshots; 0 = none */
    uint64_t sample_bytes; /* mean bytes between samples; 0 = every allocation */
    unsigned depth;        /* frames recorded, 1..MS_DEPTH_MAX */
    enum ms_unwind unwind;
    uint64_t linger_ns;     /* age from which a live block lingers; 0 = off */
    bool follow_children;   /* keep LD_PRELOAD for exec'd children */
    int signal;             /* snapshot signal; 0 = none */
    char trigger[PATH_MAX]; /* snapshot when this file appears; "" = none */
    uint64_t timeline_ns;   /* timeline resolution; 0 = no timeline */
    uint32_t max_stacks;    /* bound of the stack table */
    enum ms_reach_when reach;
};

/* Reads one environment variable (getenv in the shim; a table in tests). */
typedef const char *(*ms_getenv_fn)(const char *name);
/* Receives one complete line (with '\n') describing a rejected value. */
typedef void (*ms_complain_fn)(const char *line);

void ms_config_defaults(struct ms_config *c);
/* Fill c from the environment; each bad value is reported through complain
 * and replaced by its default.  Returns the number of bad values. */
int ms_config_load(struct ms_config *c, ms_getenv_fn get, ms_complain_fn complain);
/* Make output and trigger absolute against cwd (a program may chdir later). */
void ms_config_resolve(struct ms_config *c, const char *cwd);

extern struct ms_config ms_cfg;

#pragma GCC visibility pop

#endif /* MS_SHIM_CONFIG_H */
