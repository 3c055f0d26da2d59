/*
 * stack_cache.c — per-thread reuse of validated walks.
 *
 * A walk is a deterministic function of (ip, sp, maybe bp) and of the stack
 * words it reads (unwind.h).  So a stack is named exactly by those inputs:
 * the key of a stack is a 64-bit hash of ip, sp, the rbp when the walk
 * used it, the number of reads, and the values read, in order.  Looking a
 * stack up needs the read offsets before the walk, and they are the same
 * every time the same stack is met: the cache remembers, per (ip, sp), the
 * offsets ("shapes") of the last SHAPES different walks from there.  To look
 * up, it hashes the current stack's words at each remembered shape's
 * offsets and probes a table of keys -> stack ids.
 *
 * Why a hit is exact: say the key computed with shape A matches a key stored
 * for a stack whose walk read A.  The walk's first read offset depends only
 * on (ip, sp), so it is A's first offset, and the value there is the same
 * (the hash covered it), so the next offset is A's second, and so on: the
 * walk of the current stack reads exactly A's words with the same values
 * and produces the same stack.  Up to a collision of 64-bit hashes (a
 * lookup compares 5 keys: ~3 x 10^-19 per lookup), a hit is the walk's
 * answer.
 *
 * Cost of a hit: usually, when the stack still holds the words the shape's
 * walk read last, one compare per read against the shape's copy of them
 * (see lookup); otherwise one load per read and a multiply in one of four
 * lanes, and one cache line of keys (no rule lookups, no hashing of frames,
 * no stack-table lock).  Capacity: 40960 stacks per thread (8192 lines of
 * 5 keys; 16384 was too few for a program with 8192 stacks reached from
 * two call sites) and 1024 (ip, sp) pairs: ~1.2 MiB of address space, with
 * the nursery (256 KiB) ~1.45 MiB of address space per thread, taken on the
 * thread's first allocation (only touched pages cost memory).  Stacks
 * needing more than SHAPE_READS reads (very deep ones) are walked every
 * time.
 *
 * Blocks are recycled, because threads are: a thread-per-request server
 * starts and ends a thread per request, and a fresh block cost an mmap, a
 * munmap (with its TLB shootdown) and ~90 page faults as the request's
 * allocations touched nursery slots and cache lines all over it, which made
 * 3000 short threads 2.8x slower.  When a thread exits (a pthread key
 * destructor), its block is parked, up to PARK_MAX of them, and the next
 * new thread takes a parked block instead of mapping one; past PARK_MAX it
 * is emptied and unmapped as before.  What a parked block keeps is still
 * right for any thread: a cached walk names a stack by the walk's inputs
 * (ip, sp, the words read), whichever thread met it, and the glibc stack
 * cache gives a new thread its predecessor's stack, so its walks hit.  Its
 * counters are folded into the retired threads' figures and zeroed when it
 * is parked.  Its nursery keeps its young blocks: a parked block stays in
 * the registry, so other threads find them there as in a live thread's
 * (nursery.c), the helper drains old ones as usual, and the next owner
 * simply goes on using the slots.
 *
 * The same per-thread block carries the thread's share of the global
 * counters (books.c): plain loads and stores by the owner, no atomic
 * read-modify-write on the hot path; a registry lets dumps add them up, and
 * a thread's figures are folded into the process-wide ones when it exits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "books.h"
#include "guard.h"
#include "nursery.h"
#include "shim_base.h"
#include "shim_config.h"
#include "shim_mem.h"
#include "stacks.h"
#include "unwind.h"

#define SHAPE_SLOT_BITS 10
#define SHAPE_SLOTS     (1u << SHAPE_SLOT_BITS) /* (ip, sp) pairs remembered: 512 sets of 2 */
#define SHAPES          2                       /* walk shapes per (ip, sp) */
#define SHAPE_READS     32
#define KEY_BITS        13 /* 8192 buckets of 5 keys: one cache line each */
#define KEY_WAYS        5
/* Parked blocks of exited threads, for the next new threads: enough for
 * the requests a server runs at once, while each costs its touched pages
 * (at most ~1.45 MiB; a few tens of KiB after a short request). */
#define PARK_MAX 8

/* One (ip, sp) pair's slot, eleven cache lines: the first holds the pair,
 * the stamp and both shapes' headers, the next two one shape's read
 * offsets each, the last eight the words each shape read last.  So a hit
 * touches the header, the offsets of the shape that answers and 1 to 4
 * lines of its words (2 for the ~11 reads of an average redis-server
 * lookup).  An earlier layout (184-byte slots, each shape's header next to
 * its offsets, slots not aligned to lines) touched two to four lines where
 * header and offsets touch two; on redis-server under redis-benchmark,
 * where redis's own data keeps pushing these lines out of the caches,
 * ms_stack_cache_lookup's samples per sample of redis's own code went from
 * 0.20 to 0.17 (one profile each, with the cheaper set index and key fold
 * below). */
struct shape {
    uint8_t n;        /* reads; 0 = unused */
    uint8_t need_bp0; /* the walk used the starting rbp */
    uint32_t last_id; /* the stack of the words in val (see lookup) */
    uint64_t last_bp; /* the starting rbp with them, when need_bp0 */
};

struct shape_slot {
    uintptr_t ip0, sp0;
    uint32_t stamp; /* when last used (the set keeps the newer of two) */
    struct shape s[SHAPES];
    /* read address - starting sp (walks within 64 KiB), one line a shape */
    uint16_t off[SHAPES][SHAPE_READS] __attribute__((aligned(64)));
    /* the words each shape's walk read last, for last_id */
    uint64_t val[SHAPES][SHAPE_READS] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct shape_slot) == 64 * (1 + 5 * SHAPES), "one line + 5 lines per shape");

struct key_bucket {
    uint64_t key[KEY_WAYS]; /* 0 = empty */
    uint32_t id[KEY_WAYS];
} __attribute__((aligned(64)));

struct ms_stack_cache {
    struct shape_slot slots[SHAPE_SLOTS];
    struct key_bucket keys[1u << KEY_BITS];
    _Atomic uint64_t hits, misses;
    uint32_t clock;                     /* stamps of shape slots */
    struct ms_tcount count;             /* this thread's share of the totals */
    struct ms_nursery nursery;          /* its youngest live blocks (nursery.c) */
    struct ms_stack_cache *next, *prev; /* the registry: live threads' and parked blocks */
    struct ms_stack_cache *next_parked; /* the parked stack; meaningful while parked */
    struct ms_thread *self;             /* the thread's ms_self (reach.c clears its last_alloc) */
};

static pthread_key_t tkey;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ms_stack_cache *reg_head;
static struct ms_stack_cache *parked; /* under reg_lock */
static unsigned n_parked;             /* under reg_lock */
static _Atomic uint64_t dead_hits, dead_misses, n_threads;

/* Under reg_lock: fold a block's counters into the retired figures. */
static void retire_counts(struct ms_stack_cache *c)
{
    atomic_fetch_add(&dead_hits, atomic_exchange(&c->hits, 0));
    atomic_fetch_add(&dead_misses, atomic_exchange(&c->misses, 0));
    ms_tcount_retire(&c->count);
    memset(&c->count, 0, sizeof c->count);
}

static void unlink_block(struct ms_stack_cache *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        reg_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void link_block(struct ms_stack_cache *c)
{
    c->prev = NULL;
    c->next = reg_head;
    if (reg_head)
        reg_head->prev = c;
    reg_head = c;
}

static void thread_gone(void *arg)
{
    struct ms_stack_cache *c = arg;
    if (!c)
        return;
    ms_self.cache_state = 2; /* no new block while the thread tears down */
    ms_self.cache = NULL;
    ms_self.tc = NULL;
    ms_self.nursery = NULL;
    pthread_mutex_lock(&reg_lock);
    retire_counts(c);
    c->self = NULL; /* the thread's TLS goes with it: nothing may write there (reach.c) */
    if (n_parked < PARK_MAX) {
        c->next_parked = parked;
        parked = c;
        n_parked++;
        pthread_mutex_unlock(&reg_lock);
        return;
    }
    pthread_mutex_unlock(&reg_lock);
    /* Young blocks move to the books before the nursery goes away (and
     * before it leaves the registry, where other threads look for them). */
    ms_nursery_drain(&c->nursery, 0);
    pthread_mutex_lock(&reg_lock);
    unlink_block(c);
    pthread_mutex_unlock(&reg_lock);
    ms_mem_unmap(c, sizeof *c, MS_MEM_CACHE);
}

int ms_stack_cache_init(void)
{
    ms_nursery_init();
    return pthread_key_create(&tkey, thread_gone) == 0 ? 0 : -1;
}

struct ms_stack_cache *ms_stack_cache_make(void)
{
    if (ms_self.cache_state == 1)
        return ms_self.cache;
    if (ms_self.cache_state == 2)
        return NULL;
    pthread_mutex_lock(&reg_lock);
    struct ms_stack_cache *c = parked;
    if (c) {
        parked = c->next_parked;
        n_parked--;
    }
    pthread_mutex_unlock(&reg_lock);
    if (!c) {
        c = ms_mem_map(sizeof *c, MS_MEM_CACHE);
        if (!c) {
            ms_self.cache_state = 2;
            return NULL;
        }
        pthread_mutex_lock(&reg_lock);
        link_block(c);
        pthread_mutex_unlock(&reg_lock);
    }
    c->self = &ms_self; /* a parked block changes hands: it is this thread's now */
    atomic_fetch_add(&n_threads, 1);
    ms_self.cache = c;
    ms_self.tc = &c->count;
    ms_self.nursery = &c->nursery;
    ms_self.errno_p = &errno;
    ms_self.cache_state = 1;
    pthread_setspecific(tkey, c);
    ms_books_flush(); /* the process has threads now: no free may wait (books.c) */
    return c;
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9fb21c651e98df25ull;
    return h ^ (h >> 31);
}

/* The slot remembering (ip, sp): one of a set of two, so two (ip, sp)
 * pairs that hash alike do not keep evicting each other (with one slot per
 * set, about one python3 run in ten had an unlucky stack layout and 5 to 40
 * times the usual misses).  When neither holds them, *victim is the one
 * used less recently. */
static inline struct shape_slot *slot_of(struct ms_stack_cache *c, uintptr_t ip, uintptr_t sp,
                                         struct shape_slot **victim)
{
    /* The top bits of two independent products: ~4 cycles to the set's
     * address, where the chain of two mix() took ~10 (the lookup
     * waits for it before its first load). */
    uint64_t h = (ip * 0x9fb21c651e98df25ull) ^ (sp * 0xc2b2ae3d27d4eb4full);
    struct shape_slot *set = &c->slots[(h >> (64 - SHAPE_SLOT_BITS)) & ~(uint64_t)1];
    for (unsigned w = 0; w < 2; w++)
        if (set[w].ip0 == ip && set[w].sp0 == sp)
            return &set[w];
    *victim = set[0].stamp <= set[1].stamp ? &set[0] : &set[1];
    return NULL;
}

/* Key of the current stack read with shape sh.  Each word goes into one of
 * four independent lanes by h = (h ^ word) * K (odd K: a bijection, so two
 * lanes that saw different words stay different), and the lanes are mixed
 * thoroughly once at the end: two instructions per word, and the multiplies
 * of successive words overlap instead of forming one chain. */
#define LANE_K 0x9fb21c651e98df25ull
static inline __attribute__((always_inline)) uint64_t
key_with(const struct shape *sh, const uint16_t *off, const struct ms_frame0 *f)
{
    uint64_t a = 0x13198a2e03707344ull ^ f->ip, b = 0xa4093822299f31d0ull ^ f->sp;
    uint64_t c = 0x082efa98ec4e6c89ull ^ (sh->n | (uint64_t)sh->need_bp0 << 16);
    uint64_t d = 0x452821e638d01377ull ^ (sh->need_bp0 ? f->bp : 0);
    const unsigned char *sp = (const unsigned char *)f->sp;
    unsigned i = 0, n = sh->n;
    for (; i + 4 <= n; i += 4) {
        a = (a ^ *(const uint64_t *)(sp + off[i])) * LANE_K;
        b = (b ^ *(const uint64_t *)(sp + off[i + 1])) * LANE_K;
        c = (c ^ *(const uint64_t *)(sp + off[i + 2])) * LANE_K;
        d = (d ^ *(const uint64_t *)(sp + off[i + 3])) * LANE_K;
    }
    for (; i < n; i++)
        a = (a ^ *(const uint64_t *)(sp + off[i])) * LANE_K;
    /* Two chains of two mixes side by side, then one: three mixes of
     * latency instead of four in a row (the lookup's hottest instructions
     * were this chain's). */
    uint64_t x = mix(mix(0, a), b), y = mix(mix(0x243f6a8885a308d3ull, c), d);
    return mix(x, y) | 1; /* never 0, the empty mark */
}

static inline uint32_t key_find(const struct ms_stack_cache *c, uint64_t key)
{
    const struct key_bucket *b = &c->keys[key >> (64 - KEY_BITS)];
    for (unsigned w = 0; w < KEY_WAYS; w++)
        if (b->key[w] == key)
            return b->id[w];
    return 0;
}

static void key_put(struct ms_stack_cache *c, uint64_t key, uint32_t id)
{
    struct key_bucket *b = &c->keys[key >> (64 - KEY_BITS)];
    unsigned w;
    for (w = 0; w < KEY_WAYS; w++)
        if (b->key[w] == 0 || b->key[w] == key)
            break;
    if (w == KEY_WAYS)
        w = (unsigned)((key >> 8) % KEY_WAYS); /* full: replace one */
    b->key[w] = key;
    b->id[w] = id;
}

static inline void bump(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* A shape's reads, padded to a multiple of four by repeating its last
 * offset (and so its last word): reading a word twice changes nothing. */
static inline unsigned padded_reads(unsigned n)
{
    return (n + 3) & ~3u;
}
_Static_assert(SHAPE_READS % 4 == 0, "padded reads fit");

/* Does the stack still hold, at shape sh's offsets, the words val read
 * last?  Then the walk would read them again and give last_id: the same
 * argument as for keys, with the words compared instead of hashed. */
static inline __attribute__((always_inline)) bool memo_holds(const struct shape *sh,
                                                             const uint16_t *off,
                                                             const uint64_t *val,
                                                             const struct ms_frame0 *f)
{
    const unsigned char *sp = (const unsigned char *)f->sp;
    if (sh->need_bp0 && sh->last_bp != f->bp)
        return false;
    /* Four words a round, their differences or-ed together, one branch a
     * round: a hit (the common case) reads every word anyway, and the
     * compare-and-branch per word was ~7 instructions of it.  The reads are
     * padded to a multiple of four (padded_reads), so there is no tail. */
    for (unsigned i = 0, n = padded_reads(sh->n); i < n; i += 4) {
        uint64_t diff = (*(const uint64_t *)(sp + off[i]) ^ val[i]) |
                        (*(const uint64_t *)(sp + off[i + 1]) ^ val[i + 1]) |
                        (*(const uint64_t *)(sp + off[i + 2]) ^ val[i + 2]) |
                        (*(const uint64_t *)(sp + off[i + 3]) ^ val[i + 3]);
        if (diff)
            return false;
    }
    return true;
}

static inline void memo_set(struct shape *sh, const uint16_t *off, uint64_t *val,
                            const struct ms_frame0 *f, uint32_t id)
{
    const unsigned char *sp = (const unsigned char *)f->sp;
    for (unsigned i = 0, n = padded_reads(sh->n); i < n; i++)
        val[i] = *(const uint64_t *)(sp + off[i]);
    sh->last_bp = sh->need_bp0 ? f->bp : 0;
    sh->last_id = id;
}

/* A shape remembers the words its walk read last and that walk's stack: a
 * call site reached from the same (ip, sp) is usually reached along the
 * same path, so the stack usually still holds them, and comparing them
 * (stopping at the first that differs) answers without hashing them, the
 * lanes' final mixes or the key table (a random line of 512 KiB, which
 * redis-server's own data keeps pushing out of the caches).  Before, the
 * shape remembered the last key, so every hit hashed all its words; with
 * the words compared and this inlined into ms_stack_id, shim samples per
 * sample of redis-server's own code under redis-benchmark went from 0.458
 * to 0.388 (medians of 10 alternating profiles). */
/* The shape used last is always shape 0, so a hit's loads of its offsets
 * and words do not wait for the slot's first line to say which shape to
 * try: they start with the load of that line, instead of after it (most
 * of the hit path's samples were waiting on these loads).  Shim samples
 * per redis-server sample 0.373 -> 0.357 (medians of 20 alternating
 * profiles). */
_Static_assert(SHAPES == 2, "swap_shapes swaps two");
static void swap_shapes(struct shape_slot *sl)
{
    struct shape t = sl->s[0];
    sl->s[0] = sl->s[1];
    sl->s[1] = t;
    unsigned n = padded_reads(sl->s[0].n > sl->s[1].n ? sl->s[0].n : sl->s[1].n);
    for (unsigned i = 0; i < n; i++) {
        uint16_t o = sl->off[0][i];
        sl->off[0][i] = sl->off[1][i];
        sl->off[1][i] = o;
        uint64_t v = sl->val[0][i];
        sl->val[0][i] = sl->val[1][i];
        sl->val[1][i] = v;
    }
}

/* The rest of a lookup in slot sl, when the memo of its last shape did
 * not answer: each shape's memo, then its key.  Out of line so that the
 * hit path (lookup, inlined into ms_stack_id) needs few registers and a
 * small frame: shim samples per redis-server sample 0.40 -> 0.37 (medians
 * of 20 alternating profiles). */
static __attribute__((noinline)) uint32_t
lookup_keys(struct ms_stack_cache *c, struct shape_slot *sl, const struct ms_frame0 *f)
{
    for (unsigned si = 0; si < SHAPES; si++) {
        struct shape *sh = &sl->s[si];
        if (!sh->n)
            continue;
        uint32_t id;
        if (memo_holds(sh, sl->off[si], sl->val[si], f)) {
            id = sh->last_id;
        } else {
            id = key_find(c, key_with(sh, sl->off[si], f));
            if (!id)
                continue;
            memo_set(sh, sl->off[si], sl->val[si], f, id);
        }
        if (si != 0)
            swap_shapes(sl);
        bump(&c->hits);
        return id;
    }
    bump(&c->misses);
    return 0;
}

static inline __attribute__((always_inline)) uint32_t lookup(struct ms_stack_cache *c,
                                                             const struct ms_frame0 *f, void **slot)
{
    struct shape_slot *victim = NULL, *sl = slot_of(c, f->ip, f->sp, &victim);
    *slot = sl ? sl : victim;
    if (MS_LIKELY(sl != NULL)) {
        sl->stamp = ++c->clock;
        struct shape *sh = &sl->s[0];
        if (MS_LIKELY(sh->n && memo_holds(sh, sl->off[0], sl->val[0], f))) {
            bump(&c->hits);
            return sh->last_id;
        }
        return lookup_keys(c, sl, f);
    }
    bump(&c->misses);
    return 0;
}

uint32_t ms_stack_cache_lookup(struct ms_stack_cache *c, const struct ms_frame0 *f, void **slot)
{
    return lookup(c, f, slot);
}

/* The hot path of full tracking, here rather than in stacks.c so that the
 * lookup is inlined into it: one function entry per allocation instead of
 * two (ms_stack_id called ms_stack_cache_lookup in another file).  A miss
 * walks in ms_stack_id_walk (stacks.c). */
uint32_t ms_stack_id(const struct ms_frame0 *f)
{
    if (MS_LIKELY(ms_cfg.unwind == MS_UNWIND_DWARF)) {
        struct ms_stack_cache *c = ms_stack_cache_get();
        void *slot = NULL;
        if (MS_LIKELY(c != NULL)) {
            uint32_t id = lookup(c, f, &slot);
            if (MS_LIKELY(id != 0))
                return id;
        }
        return ms_stack_id_walk(f, c, slot);
    }
    return ms_stack_id_walk(f, NULL, NULL);
}

static bool same_offsets(const uint16_t *off, const struct ms_walk_trace *t)
{
    for (unsigned i = 0; i < t->nreads; i++)
        if (off[i] != t->off[i])
            return false;
    return true;
}

void ms_stack_cache_fill(struct ms_stack_cache *c, void *slot, const struct ms_frame0 *f,
                         const struct ms_walk_trace *t, uint32_t id)
{
    struct shape_slot *sl = slot;
    if (!t->cacheable || t->nreads == 0 || t->nreads > SHAPE_READS || id == 0)
        return;
    for (unsigned i = 0; i < t->nreads; i++)
        if (t->off[i] > UINT16_MAX)
            return; /* a walk spanning more than 64 KiB of stack: walked every time */
    if (sl->ip0 != f->ip || sl->sp0 != f->sp) {
        memset(sl, 0, sizeof *sl);
        sl->ip0 = f->ip;
        sl->sp0 = f->sp;
    }
    sl->stamp = ++c->clock;
    /* The shape of this walk: an existing one, or the one not used last. */
    unsigned si = SHAPES;
    for (unsigned k = 0; k < SHAPES; k++) {
        const struct shape *sh = &sl->s[k];
        if (sh->n == t->nreads && sh->need_bp0 == t->need_bp0 && same_offsets(sl->off[k], t)) {
            si = k;
            break;
        }
    }
    if (si == SHAPES) {
        si = 1;
        struct shape *sh = &sl->s[si];
        sh->n = (uint8_t)t->nreads;
        sh->need_bp0 = t->need_bp0;
        for (unsigned i = 0; i < padded_reads(t->nreads); i++)
            sl->off[si][i] = (uint16_t)t->off[i < t->nreads ? i : t->nreads - 1];
    }
    /* The trace's values are what the stack holds now. */
    key_put(c, key_with(&sl->s[si], sl->off[si], f), id);
    memo_set(&sl->s[si], sl->off[si], sl->val[si], f, id);
    if (si != 0)
        swap_shapes(sl);
}

struct ms_nursery *ms_tblock_nursery(struct ms_stack_cache *c)
{
    return &c->nursery;
}

struct ms_thread *ms_tblock_self(struct ms_stack_cache *c)
{
    return c->self;
}

void ms_tblock_foreach(void (*fn)(struct ms_stack_cache *c, void *ctx), void *ctx)
{
    pthread_mutex_lock(&reg_lock);
    for (struct ms_stack_cache *c = reg_head; c; c = c->next)
        fn(c, ctx);
    pthread_mutex_unlock(&reg_lock);
}

void ms_tcount_sum(struct ms_tcount *sum)
{
    pthread_mutex_lock(&reg_lock);
    for (struct ms_stack_cache *c = reg_head; c; c = c->next)
        ms_tcount_add(sum, &c->count);
    pthread_mutex_unlock(&reg_lock);
}

void ms_stack_cache_counts(uint64_t *hits, uint64_t *misses, uint64_t *threads)
{
    uint64_t h = atomic_load(&dead_hits), m = atomic_load(&dead_misses);
    pthread_mutex_lock(&reg_lock);
    for (struct ms_stack_cache *c = reg_head; c; c = c->next) {
        h += atomic_load_explicit(&c->hits, memory_order_relaxed);
        m += atomic_load_explicit(&c->misses, memory_order_relaxed);
    }
    pthread_mutex_unlock(&reg_lock);
    *hits = h;
    *misses = m;
    *threads = atomic_load(&n_threads);
}

/* In a fork child only the forking thread exists: keep its block and the
 * parked ones, forget the others (their memory stays mapped in the child;
 * it is small and the child usually execs). */
void ms_stack_cache_after_fork_child(void)
{
    pthread_mutex_init(&reg_lock, NULL);
    ms_nursery_init(); /* membarrier's registration is the parent's */
    struct ms_stack_cache *mine = ms_self.cache_state == 1 ? ms_self.cache : NULL;
    /* The other threads' shares of the totals describe blocks the child
     * inherited: keep them, as retired threads' figures, and move their
     * young blocks to the books. */
    for (struct ms_stack_cache *c = reg_head; c; c = c->next) {
        ms_nursery_reset_after_fork(&c->nursery);
        if (c != mine) {
            retire_counts(c); /* parked blocks' are zero */
            ms_nursery_drain(&c->nursery, 0);
        }
    }
    reg_head = NULL;
    for (struct ms_stack_cache *c = parked; c; c = c->next_parked)
        link_block(c);
    if (mine)
        link_block(mine);
}

/* fork: the registry and every nursery, so the child's are consistent. */
void ms_stack_cache_lock(void);
void ms_stack_cache_lock(void)
{
    pthread_mutex_lock(&reg_lock);
    for (struct ms_stack_cache *c = reg_head; c; c = c->next)
        ms_nursery_lock(&c->nursery);
}

void ms_stack_cache_unlock(void);
void ms_stack_cache_unlock(void)
{
    for (struct ms_stack_cache *c = reg_head; c; c = c->next)
        ms_nursery_unlock(&c->nursery);
    pthread_mutex_unlock(&reg_lock);
}
