/*
 * gosite.c — what the classic and Swiss trackers share: reading the target
 * (process_vm_readv behind a small interface a unit test can replace), the
 * stack a probe recorded, and the frame to show users (the first one outside
 * the Go runtime).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "gobin.h"
#include "gosite.h"

int ms_remote_pid_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    pid_t pid = (pid_t)(intptr_t)ctx;
    struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

#define READV_BATCH 256

static size_t pid_readv(void *ctx, const uint64_t *addrs, size_t n, size_t len, uint8_t *out,
                        bool *gone)
{
    struct iovec lv[READV_BATCH], rv[READV_BATCH];
    size_t k = n < READV_BATCH ? n : READV_BATCH;
    for (size_t i = 0; i < k; i++) {
        lv[i] = (struct iovec){out + i * len, len};
        rv[i] = (struct iovec){(void *)(uintptr_t)addrs[i], len};
    }
    ssize_t got = process_vm_readv((pid_t)(intptr_t)ctx, lv, k, rv, k, 0);
    *gone = got < 0 && errno == ESRCH;
    /* reads stop at the first unreadable range */
    return got > 0 ? (size_t)got / len : 0;
}

struct ms_remote ms_remote_pid(pid_t pid)
{
    return (struct ms_remote){ms_remote_pid_read, (void *)(intptr_t)pid, pid_readv};
}

size_t ms_remote_readv(const struct ms_remote *rd, const uint64_t *addrs, size_t n, size_t len,
                       uint8_t *out, bool *gone)
{
    *gone = false;
    size_t i = 0;
    if (rd->readv) { /* it may take fewer ranges a call: go on until one falls short */
        while (i < n && !*gone) {
            size_t want = n - i,
                   got = rd->readv(rd->ctx, addrs + i, want, len, out + i * len, gone);
            i += got;
            if (!got || (got < want && got < READV_BATCH))
                break;
        }
        return i;
    }
    while (i < n && rd->read(rd->ctx, addrs[i], out + i * len, len) == 0)
        i++;
    return i;
}

void ms_gm_site_from_event(struct gm_site *s, int stacks_fd, const struct gomap_event *e,
                           enum gm_site_kind kind)
{
    if (s->kind != GM_SITE_NONE)
        return;
    uint64_t st[GOMAP_STACK_DEPTH];
    int n = 0;
    if (ms_gm_stack_lookup(stacks_fd, e->stack_id, st) == 0)
        while (n < GOMAP_STACK_DEPTH && st[n])
            n++;
    /* A frame-pointer walk started at a function's first instruction (or at its RET)
     * skips the immediate caller: its return address is at [SP], not behind BP. */
    s->n = 0;
    if (n > 0)
        s->pc[s->n++] = st[0];
    if (e->caller && (n < 2 || st[1] != e->caller))
        s->pc[s->n++] = e->caller;
    for (int i = 1; i < n && s->n < GM_SITE_FRAMES; i++)
        s->pc[s->n++] = st[i];
    s->kind = kind;
}

const char *ms_gm_pc_name(const struct ms_gobin *bin, uint64_t bias, uint64_t pc, char *buf,
                          size_t len)
{
    /* names inlined calls: "inner file:line (inlined into outer file:line)" */
    if (!bin || !bin->pcln || ms_gopcln_describe(bin->pcln, pc - bias, buf, len)[0] == '0')
        snprintf(buf, len, "0x%llx", (unsigned long long)pc); /* the address as seen */
    return buf;
}

const char *ms_gm_site_name(const struct ms_gobin *bin, uint64_t bias, const struct gm_site *s,
                            const char *fallback, char *buf, size_t len)
{
    snprintf(buf, len, "%s", s->kind != GM_SITE_NONE ? "?" : fallback);
    for (int i = 0; bin && bin->pcln && i < s->n; i++) {
        const char *fn, *file;
        int line;
        /* return addresses point after the call: look up the call itself */
        uint64_t pc = s->pc[i] - bias - (i > 0);
        if (ms_gopcln_lookup(bin->pcln, pc, &fn, &file, &line) < 0)
            continue;
        if (!strncmp(fn, "runtime.", 8) || !strncmp(fn, "internal/runtime", 16) ||
            !strncmp(fn, "reflect.", 8))
            continue;
        ms_gopcln_describe(bin->pcln, pc, buf, len); /* names inlined calls */
        break;
    }
    return buf;
}

uint64_t ms_gm_rdn(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    /* x86-64 only (the BPF side is built for it): host order is Go's; n may
     * come from the target's DWARF, so it is clamped. */
    memcpy(&v, p, n < 8 ? n : 8);
    return v;
}

void ms_gm_proc_init(struct gm_proc *p, pid_t pid, const struct ms_remote *rd,
                     const struct ms_gobin *bin, int stacks_fd)
{
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->rd = *rd;
    p->bin = bin;
    p->stacks_fd = stacks_fd;
}

void ms_gm_learn_bias(struct gm_proc *p)
{
    if (!p->bias_known && p->bin)
        p->bias_known = ms_gobin_load_bias(p->bin, p->pid, &p->bias) == 0;
}

void ms_gm_type_names(const struct gm_proc *p, uint64_t key_rt, uint64_t elem_rt, char *key,
                      size_t keylen, char *elem, size_t elemlen)
{
    snprintf(key, keylen, "?");
    snprintf(elem, elemlen, "?");
    if (p->bin) {
        ms_gotype_name(p->bin, key_rt - p->bias, key, keylen);
        ms_gotype_name(p->bin, elem_rt - p->bias, elem, elemlen);
    }
}

void ms_gm_note_retired(FILE *log, struct gm_retired_log *seen, uint64_t addr, const char *why)
{
    if (!addr)
        return;
    uint64_t h = (addr >> 4) * 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < GM_RETIRED_SEEN; i++) {
        uint64_t *slot = &seen->addr[(h + i) % GM_RETIRED_SEEN];
        if (*slot == addr) {
            seen->repeats++;
            return;
        }
        if (!*slot) {
            *slot = addr;
            break;
        }
    } /* full: every address is noted, as before */
    if (log)
        fprintf(log, "mapscope gomaps: map 0x%llx retired: %s\n", (unsigned long long)addr, why);
}

void *ms_gm_push(void *v, size_t *n, size_t *cap, size_t elem, size_t first)
{
    void **arr = v;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : first;
        void *p = realloc(*arr, nc * elem);
        if (!p)
            return NULL;
        *arr = p;
        *cap = nc;
    }
    void *e = (char *)*arr + (*n)++ * elem;
    memset(e, 0, elem);
    return e;
}

void ms_gm_array_free(void *v, size_t *n, size_t *cap)
{
    void **arr = v;
    free(*arr);
    *arr = NULL;
    *n = *cap = 0;
}

void *ms_gm_keep(void *v, size_t *n, size_t *cap, const void *item, size_t elem)
{
    void *copy = malloc(elem);
    void **slot = copy ? ms_gm_push(v, n, cap, sizeof copy, 16) : NULL;
    if (!slot) {
        free(copy);
        return NULL;
    }
    memcpy(copy, item, elem);
    *slot = copy;
    return copy;
}

void ms_gm_kept_free(void *v, size_t *n, size_t *cap)
{
    void **table = *(void ***)v;
    for (size_t i = 0; i < *n; i++)
        free(table[i]);
    ms_gm_array_free(v, n, cap);
}
