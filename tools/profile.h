/*
 * profile.h — the report's in-memory model: one parsed dump file
 * (struct ms_dump, as written by the shim) and the merged, symbolized
 * profile every output is rendered from (struct ms_profile).
 *
 * The pipeline is: dump_read.c (file -> ms_dump) -> merge.c (dumps ->
 * ms_profile: newest dump per pid, frames made module-relative so that
 * stacks from different processes and runs compare) -> symbolize.c (frame
 * -> function, file:line, inlined frames) -> aggregate.c (views: leaks,
 * peak, hot spots, ...) -> out_*.c.
 */
#ifndef MS_PROFILE_H
#define MS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump_format.h"
#include "util.h"

/* A name/value pair of a TOTALS or ENGINE record. */
struct ms_nv {
    char *name;
    uint64_t value;
};

/* A SETTINGS entry. */
struct ms_kv {
    char *name;
    char *value;
};

struct ms_module {
    uint64_t bias, start, end;
    char *path;
    unsigned char *build_id;
    uint32_t build_id_len;
};

struct ms_raw_stack {
    uint32_t id;
    uint32_t nframes;
    uint64_t *frames; /* return addresses, innermost first */
};

struct ms_stack_stats {
    uint32_t stack_id;
    uint64_t f[MS_SF_COUNT]; /* enum ms_stack_field */
};

struct ms_linger_bin {
    uint64_t min_age_ns, blocks, bytes;
};

struct ms_linger {
    uint32_t stack_id;
    uint64_t blocks, bytes, oldest_age_ns;
    uint32_t nbins;
    struct ms_linger_bin *bins;
};

/* Valgrind's leak kinds of one stack's live blocks (MS_REC_LEAK_KINDS). */
struct ms_stack_kinds {
    uint32_t stack_id;
    uint64_t k[MS_KF_COUNT]; /* enum ms_kind_field */
};

struct ms_tl_point {
    uint64_t t_ns, live_bytes, live_blocks, allocs, alloc_bytes;
};

/* One dump file as read.  Everything from intact records is kept even when
 * the file is damaged further on. */
struct ms_dump {
    char *file;
    bool have_process;
    uint32_t pid, ppid, reason, seq;
    uint64_t start_ns, dump_ns;
    char *exe;
    char *cmdline; /* arguments separated by spaces for display */
    uint64_t timeline_interval_ns;
    MS_VEC(struct ms_kv) settings;
    MS_VEC(struct ms_module) modules;
    MS_VEC(struct ms_raw_stack) stacks;
    MS_VEC(struct ms_stack_stats) stats;
    MS_VEC(struct ms_linger) lingers;
    MS_VEC(struct ms_stack_kinds) kinds;
    MS_VEC(struct ms_tl_point) timeline;
    MS_VEC(struct ms_nv) totals;
    MS_VEC(struct ms_nv) engine;
    uint32_t records; /* intact records read */
    bool complete;    /* the END record was read and its count matched */
    char *error;      /* first problem found ("FILE: offset N: ..."), or NULL */
};

/* The value of a TOTALS/ENGINE name, or 0 when absent. */
uint64_t ms_nv_get(const struct ms_nv *v, size_t n, const char *name, bool *found);
/* Free a list of pairs and the list itself. */
void ms_nv_free(struct ms_nv *v, size_t n);
void ms_kv_free(struct ms_kv *v, size_t n);
/* A SETTINGS value or NULL. */
const char *ms_dump_setting(const struct ms_dump *d, const char *name);

/* Read a dump.  Returns 0 when the file was read whole and intact; 1 when
 * it is damaged or truncated (d->error says where; everything intact was
 * kept); -1 when it could not be read at all or is no mapscope dump
 * (d->error says why).  d must be zeroed before; free with ms_dump_free. */
int ms_dump_read(const char *path, struct ms_dump *d);
/* Same, from memory (the fuzz target, tests); name is used in messages. */
int ms_dump_parse(const char *name, const unsigned char *buf, size_t len, struct ms_dump *d);
void ms_dump_free(struct ms_dump *d);

/* ------------------------------------------------------------------------
 * The merged profile.
 */

/* One symbolized source position of a frame.  A frame whose address lies in
 * inlined code has several: innermost (the inlined callee) first, the real
 * function last (pprof's Location.line order). */
struct ms_sym {
    char *function; /* demangled; NULL when unknown */
    char *file;     /* NULL when unknown */
    int line;       /* 0 when unknown */
};

/* A distinct code address: a module plus the offset in it (the address the
 * module's ELF file uses), so frames from processes with different load
 * addresses (ASLR, other runs) compare equal. */
struct ms_frame {
    int32_t module;   /* index in ms_profile.modules, -1 when in no module */
    uint64_t offset;  /* module-relative (ELF virtual address), or absolute */
    uint64_t address; /* runtime return address in the first dump it came from */
    uint32_t nsym;    /* 0 until symbolized (or when nothing is known) */
    struct ms_sym *sym;
};

struct ms_pmodule {
    char *path;
    unsigned char *build_id;
    uint32_t build_id_len;
    uint64_t bias, start, end; /* of the first dump it came from */
    bool symbolized;           /* a matching ELF file was found */
    uint32_t unnamed;          /* its distinct frames left without a function name */
    bool has_lines, has_inlines;
};

/* A distinct stack (sequence of frames) with its counters summed over the
 * merged dumps. */
struct ms_pstack {
    uint32_t nframes;
    uint32_t *frames; /* indices into ms_profile.frames, innermost first */
    uint64_t f[MS_SF_COUNT];
    /* Lingering blocks from this stack (sum over dumps). */
    uint64_t lg_blocks, lg_bytes, lg_oldest_ns;
    uint32_t lg_nbins;
    struct ms_linger_bin *lg_bins;
    const char *suppressed;  /* name of the suppression that matched, or NULL */
    unsigned supp_kinds;     /* leak kinds the matching suppressions cover (1 << MS_KIND_*) */
    uint64_t k[MS_KF_COUNT]; /* leak kinds (sum over dumps with a scan) */
};

/* One process that contributed a dump. */
struct ms_process {
    char *file;
    uint32_t pid, ppid, reason, seq;
    uint64_t start_ns, dump_ns;
    char *exe, *cmdline;
    bool complete;
};

struct ms_profile {
    MS_VEC(struct ms_pmodule) modules;
    MS_VEC(struct ms_frame) frames;
    MS_VEC(struct ms_pstack) stacks;
    MS_VEC(struct ms_process) processes;
    MS_VEC(struct ms_nv) totals;   /* summed over processes (see merge.c for peak) */
    MS_VEC(struct ms_nv) engine;   /* summed over processes */
    MS_VEC(struct ms_kv) settings; /* of the first process */
    /* Heap over time: the processes' timelines added up on wall-clock time
     * (t_ns since the earliest process start). */
    uint64_t timeline_interval_ns;
    MS_VEC(struct ms_tl_point) timeline;
};

/* Choose the dumps to merge (newest per pid; dumps of different pids all
 * count) and merge them into p (zeroed before).  `use[i]` is set for the
 * dumps used.  Frames are not yet symbolized. */
void ms_profile_merge(struct ms_dump *dumps, size_t n, bool *use, struct ms_profile *p);
void ms_profile_free(struct ms_profile *p);
/* Add a stack's counters and lingering blocks into s (frames untouched). */
void ms_pstack_add(struct ms_pstack *s, const struct ms_pstack *add);
uint64_t ms_profile_total(const struct ms_profile *p, const char *name);
/* How many merged dumps carry leak kinds (a reachability scan). */
uint64_t ms_profile_scans(const struct ms_profile *p);

/* Symbolization options. */
struct ms_symbolize_opts {
    const char *const *debug_dirs; /* extra directories holding .build-id/xx/yyyy.debug */
    size_t ndebug_dirs;
    bool quiet; /* no warnings on stderr */
};
/* Symbolize every frame of p.  Missing or changed binaries give one warning
 * each (stderr) and leave their frames as raw addresses; never fails. */
void ms_symbolize(struct ms_profile *p, const struct ms_symbolize_opts *o);

/* A printable name for a frame's innermost function: the function name,
 * else "module+0xoffset", else "0xaddress".  Writes into buf (>= 512). */
const char *ms_frame_label(const struct ms_profile *p, const struct ms_frame *fr, uint32_t symi,
                           char *buf, size_t len);
/* Frames left without a function name: how many (*unnamed), by module
 * ("memcached 30, libevent 7" into mods), and how to get the names; NULL
 * when every frame has one. */
const char *ms_names_hint(const struct ms_profile *p, uint64_t *unnamed, char *mods, size_t cap);
/* basename of a path (no allocation). */
const char *ms_basename(const char *path);

#endif /* MS_PROFILE_H */
