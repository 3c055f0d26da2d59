/*
 * test_map_threads.c — ms_smap under several threads: millions of mixed
 * operations on private key ranges (each thread keeps its own reference,
 * so the final contents are known exactly), compound read-modify-write
 * updates of shared keys under the shard lock (the final counters are
 * exact only if no update was lost), and the fork helpers.
 */
#include "map_test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS      4
#define UNIVERSE      (1u << 18) /* keys i with i % NTHREADS == thread */
#define NSHARED       64
#define SHARED_KEY(j) ptr_key(UNIVERSE + (j))

static ms_smap *s;
static unsigned ops_per_thread;

struct worker {
    unsigned id;
    uint64_t rng;
    uint8_t *present; /* this thread's reference, indexed by i / NTHREADS */
    uint64_t *val;
    uint64_t increments;
};

static uint64_t next_rnd(struct worker *w)
{
    return xorshift64(&w->rng);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t per = UNIVERSE / NTHREADS;
    for (unsigned n = 0; n < ops_per_thread; n++) {
        uint64_t j = next_rnd(w) % per, key = ptr_key(j * NTHREADS + w->id), v;
        unsigned dice = (unsigned)(next_rnd(w) % 100);
        if (dice < 40) {
            v = next_rnd(w);
            MUST(ms_smap_put(s, &key, &v));
            w->present[j] = 1;
            w->val[j] = v;
        } else if (dice < 70) {
            bool was = ms_smap_take(s, &key, &v);
            MUST_EQ(was, w->present[j]);
            if (was)
                MUST_EQ(v, w->val[j]);
            w->present[j] = 0;
        } else if (dice < 95) {
            bool got = ms_smap_get(s, &key, &v);
            MUST_EQ(got, w->present[j]);
            if (got)
                MUST_EQ(v, w->val[j]);
        } else {
            /* Read-modify-write of a shared counter under its shard lock. */
            uint64_t k = SHARED_KEY(next_rnd(w) % NSHARED), h;
            ms_map *m = ms_smap_lock(s, &k, &h);
            uint64_t *c = ms_map_assign_h(m, &k, h, NULL);
            MUST(c != NULL);
            *c += 1;
            ms_smap_unlock(s, m);
            w->increments++;
        }
    }
    return NULL;
}

struct expect {
    struct worker *w;
    size_t seen;
    uint64_t shared_total;
    bool bad;
};

static bool visit(const void *k, void *v, void *ctx)
{
    struct expect *e = ctx;
    uint64_t key, val;
    memcpy(&key, k, 8);
    memcpy(&val, v, 8);
    uint64_t i = key_index(key);
    if (i >= UNIVERSE) {
        e->shared_total += val;
    } else {
        struct worker *w = &e->w[i % NTHREADS];
        if (!w->present[i / NTHREADS] || w->val[i / NTHREADS] != val)
            e->bad = true;
    }
    e->seen++;
    return true;
}

START_TEST(threads_exact_contents)
{
    const char *san = getenv("MS_SANITIZED");
    ops_per_thread = san && *san ? 400000 : 1000000;
    s = ms_smap_create(8, 8, 4, 0, 0);
    ck_assert_ptr_nonnull(s);
    struct worker w[NTHREADS];
    pthread_t t[NTHREADS];
    for (unsigned i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){i, 0x9e3779b97f4a7c15ull * (i + 1), NULL, NULL, 0};
        w[i].present = calloc(UNIVERSE / NTHREADS, 1);
        w[i].val = calloc(UNIVERSE / NTHREADS, sizeof(uint64_t));
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (unsigned i = 0; i < NTHREADS; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);

    size_t want = 0;
    uint64_t increments = 0;
    for (unsigned i = 0; i < NTHREADS; i++) {
        increments += w[i].increments;
        for (uint64_t j = 0; j < UNIVERSE / NTHREADS; j++)
            want += w[i].present[j];
    }
    struct expect e = {w, 0, 0, false};
    ms_smap_foreach(s, visit, &e);
    ck_assert_msg(!e.bad, "an entry differs from its thread's reference");
    ck_assert_uint_eq(e.seen, want + NSHARED);
    ck_assert_uint_eq(ms_smap_count(s), want + NSHARED);
    ck_assert_uint_eq(e.shared_total, increments);
    /* And each private key, looked up one by one. */
    for (unsigned i = 0; i < NTHREADS; i++)
        for (uint64_t j = 0; j < UNIVERSE / NTHREADS; j++) {
            uint64_t key = ptr_key(j * NTHREADS + i), v;
            bool got = ms_smap_get(s, &key, &v);
            MUST_EQ(got, w[i].present[j]);
            if (got)
                MUST_EQ(v, w[i].val[j]);
        }
    struct ms_map_stats st;
    ms_smap_stats(s, &st);
    ck_assert_uint_eq(st.count, want + NSHARED);
    printf("threads: %u x %u operations, %zu entries left, %llu doublings over 16 shards\n",
           NTHREADS, ops_per_thread, want, (unsigned long long)st.grows_doubling);
    for (unsigned i = 0; i < NTHREADS; i++) {
        free(w[i].present);
        free(w[i].val);
    }
    ms_smap_destroy(s);
}
END_TEST

/* The fork helpers: the parent takes every lock across fork(), the child
 * re-initialises them and can use the map (as the shim's atfork handlers
 * do), the parent releases them and carries on. */
START_TEST(fork_helpers)
{
    ms_smap *m = ms_smap_create(8, 8, 3, 0, 0);
    for (uint64_t i = 0; i < 10000; i++) {
        uint64_t k = ptr_key(i);
        ck_assert(ms_smap_put(m, &k, &i));
    }
    ms_smap_lock_all(m);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        ms_smap_reinit_locks(m);
        uint64_t k = ptr_key(5), v = 0, x = 77;
        int ok =
            ms_smap_get(m, &k, &v) && v == 5 && ms_smap_put(m, &k, &x) && ms_smap_count(m) == 10000;
        _exit(ok ? 0 : 1);
    }
    ms_smap_unlock_all(m);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    uint64_t k = ptr_key(5), v = 0;
    ck_assert(ms_smap_get(m, &k, &v));
    ck_assert_uint_eq(v, 5); /* the child's write stayed in the child */
    ms_smap_destroy(m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("map_threads");
    TCase *tc = add_tcase(su, "smap", 600);
    tcase_add_test(tc, threads_exact_contents);
    tcase_add_test(tc, fork_helpers);
    return run_suite(su);
}
