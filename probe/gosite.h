/*
 * gosite.h — what both map trackers share: reading the target's memory, the
 * stack a probe recorded and naming the frame users care about.
 */
#ifndef MS_GOSITE_H
#define MS_GOSITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "findings_contract.h"
#include "gomap.h"

struct ms_gobin;

/* How a tracker reads the target: process_vm_readv in the tool, a fake in unit tests.
 * read returns 0 when all len bytes were read, -1 otherwise. */
struct ms_remote {
    int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
    void *ctx;
};
/* The real reader: ctx is the pid, cast to a pointer. */
int ms_remote_pid_read(void *ctx, uint64_t addr, void *buf, size_t len);
struct ms_remote ms_remote_pid(pid_t pid);

#define GM_SITE_FRAMES 12

/* Where a map was created or grew: runtime return addresses, first one a PC. */
struct gm_site {
    enum gm_site_kind kind;
    uint64_t pc[GM_SITE_FRAMES];
    int n;
};

/* Fill s from event e's stack (BPF stack map stacks_fd); keeps an earlier site. */
void ms_gm_site_from_event(struct gm_site *s, int stacks_fd, const struct gomap_event *e,
                           enum gm_site_kind kind);
/* gostack_bpf.c: the frames of stack id in the BPF stack map (zero-terminated); -1 when
 * gone.  Unit tests link their own. */
int ms_gm_stack_lookup(int stacks_fd, int id, uint64_t out[GOMAP_STACK_DEPTH]);
/* "func file:line" of the first frame outside the Go runtime, else fallback. */
const char *ms_gm_site_name(const struct ms_gobin *bin, uint64_t bias, const struct gm_site *s,
                            const char *fallback, char *buf, size_t len);
/* "func file:line" of pc (0x... when unknown). */
const char *ms_gm_pc_name(const struct ms_gobin *bin, uint64_t bias, uint64_t pc, char *buf,
                          size_t len);

/* findings_json.c: s as a JSON string (quotes, backslashes, control characters escaped). */
#include <stdio.h>
void ms_gm_jstr(FILE *f, const char *s);

#endif /* MS_GOSITE_H */
