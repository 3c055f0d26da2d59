/*
 * stack_cache.c — per-thread reuse of validated walks.
 *
 * Most allocations come from a few call sites reached the same way again
 * and again (a loop calling the same function).  Such an allocation starts
 * from the same return address and stack pointer as an earlier one, and
 * the stack words the earlier walk read still hold the same values, so the
 * walk would give the same stack: unwind.h explains why that is exact.
 * Checking those words (one load and compare per frame) replaces the walk,
 * the hashing of the frames and the stack-table lookup.
 *
 * Each thread has a direct-mapped cache of SLOTS entries indexed by a hash
 * of (ip, sp), mapped on the thread's first allocation (128 KiB of address
 * space; only touched pages cost memory) and unmapped when the thread
 * exits (a pthread key destructor).  Threads never read each other's
 * caches; a registry lets dumps add up the hit counts.
 */
#include <pthread.h>
#include <string.h>

#include "guard.h"
#include "unwind.h"

#define SLOTS     256
#define SLOT_READS 40

struct entry {
    uintptr_t ip0, sp0, bp0;
    uint32_t id;
    uint16_t nreads;
    uint8_t need_bp0, valid;
    uint32_t off[SLOT_READS];
    uint64_t val[SLOT_READS];
};

struct ms_stack_cache {
    struct entry e[SLOTS];
    _Atomic uint64_t hits, misses;
    struct ms_stack_cache *next, *prev;
};

static pthread_key_t key;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ms_stack_cache *reg_head;
static _Atomic uint64_t dead_hits, dead_misses, n_threads;

static void unregister(struct ms_stack_cache *c)
{
    pthread_mutex_lock(&reg_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        reg_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    atomic_fetch_add(&dead_hits, atomic_load(&c->hits));
    atomic_fetch_add(&dead_misses, atomic_load(&c->misses));
    pthread_mutex_unlock(&reg_lock);
}

static void thread_gone(void *arg)
{
    struct ms_stack_cache *c = arg;
    if (!c)
        return;
    ms_self.cache = NULL;
    ms_self.cache_state = 2; /* no new cache while the thread tears down */
    unregister(c);
    ms_mem_unmap(c, sizeof *c, MS_MEM_CACHE);
}

int ms_stack_cache_init(void)
{
    return pthread_key_create(&key, thread_gone) == 0 ? 0 : -1;
}

struct ms_stack_cache *ms_stack_cache_get(void)
{
    if (MS_LIKELY(ms_self.cache_state == 1))
        return ms_self.cache;
    if (ms_self.cache_state == 2)
        return NULL;
    struct ms_stack_cache *c = ms_mem_map(sizeof *c, MS_MEM_CACHE);
    if (!c) {
        ms_self.cache_state = 2;
        return NULL;
    }
    pthread_mutex_lock(&reg_lock);
    c->next = reg_head;
    if (reg_head)
        reg_head->prev = c;
    reg_head = c;
    pthread_mutex_unlock(&reg_lock);
    atomic_fetch_add(&n_threads, 1);
    ms_self.cache = c;
    ms_self.cache_state = 1;
    pthread_setspecific(key, c);
    return c;
}

static inline uint32_t index_of(uintptr_t ip, uintptr_t sp)
{
    uint64_t h = (ip ^ (sp * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> 56) & (SLOTS - 1);
}

uint32_t ms_stack_cache_lookup(struct ms_stack_cache *c, const struct ms_frame0 *f, void **slot)
{
    struct entry *e = &c->e[index_of(f->ip, f->sp)];
    *slot = e;
    if (e->valid && e->ip0 == f->ip && e->sp0 == f->sp && (!e->need_bp0 || e->bp0 == f->bp)) {
        unsigned i;
        for (i = 0; i < e->nreads; i++)
            if (*(const uint64_t *)(f->sp + e->off[i]) != e->val[i])
                break;
        if (i == e->nreads) {
            atomic_store_explicit(&c->hits, atomic_load_explicit(&c->hits, memory_order_relaxed) + 1,
                                  memory_order_relaxed);
            return e->id;
        }
    }
    atomic_store_explicit(&c->misses, atomic_load_explicit(&c->misses, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    return 0;
}

void ms_stack_cache_fill(void *slot, const struct ms_frame0 *f, const struct ms_walk_trace *t,
                         uint32_t id)
{
    struct entry *e = slot;
    if (!t->cacheable || t->nreads > SLOT_READS || id == 0) {
        e->valid = 0;
        return;
    }
    e->ip0 = f->ip;
    e->sp0 = f->sp;
    e->bp0 = f->bp;
    e->need_bp0 = t->need_bp0;
    e->nreads = (uint16_t)t->nreads;
    memcpy(e->off, t->off, t->nreads * sizeof e->off[0]);
    memcpy(e->val, t->val, t->nreads * sizeof e->val[0]);
    e->id = id;
    e->valid = 1;
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

/* In a fork child only the forking thread exists: keep its cache, forget
 * the others (their memory stays mapped in the child; it is small and the
 * child usually execs). */
void ms_stack_cache_after_fork_child(void)
{
    pthread_mutex_init(&reg_lock, NULL);
    struct ms_stack_cache *mine = ms_self.cache_state == 1 ? ms_self.cache : NULL;
    reg_head = mine;
    if (mine)
        mine->next = mine->prev = NULL;
}

void ms_stack_cache_lock(void);
void ms_stack_cache_lock(void)
{
    pthread_mutex_lock(&reg_lock);
}

void ms_stack_cache_unlock(void);
void ms_stack_cache_unlock(void)
{
    pthread_mutex_unlock(&reg_lock);
}
