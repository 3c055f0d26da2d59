/*
 * map_bench_absl.cc — the benchmark's absl::flat_hash_map driver: the same
 * phases as map_bench.c runs on mapscope's engine, on the reference Swiss
 * table (Debian libabsl-dev, default hash).  Memory is counted exactly by
 * an allocator that tallies what the table asks for.  Compiled only for
 * `make bench`.
 */
#include "map_bench.h"

#include <absl/container/flat_hash_map.h>

#include <cstdlib>
#include <ctime>
#include <new>

namespace
{

size_t live_bytes; // bytes currently allocated by tables in this file

template <class T> struct CountingAlloc {
    using value_type = T;
    CountingAlloc() = default;
    template <class U> CountingAlloc(const CountingAlloc<U> &)
    {
    }
    T *allocate(size_t n)
    {
        live_bytes += n * sizeof(T);
        return static_cast<T *>(::operator new(n * sizeof(T)));
    }
    void deallocate(T *p, size_t n)
    {
        live_bytes -= n * sizeof(T);
        ::operator delete(p);
    }
    template <class U> bool operator==(const CountingAlloc<U> &) const
    {
        return true;
    }
    template <class U> bool operator!=(const CountingAlloc<U> &) const
    {
        return false;
    }
};

using Table = absl::flat_hash_map<uint64_t, uint64_t, absl::Hash<uint64_t>, std::equal_to<uint64_t>,
                                  CountingAlloc<std::pair<const uint64_t, uint64_t>>>;

// Thread CPU time, as map_bench.c's phases.
double now_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

} // namespace

extern "C" void mb_absl_run(const struct mb_keys *k, unsigned iters, struct mb_result *r)
{
    double t[5] = {0, 0, 0, 0, 0};
    uint64_t sum = 0;
    size_t n = k->n;
    for (unsigned it = 0; it < iters; it++) {
        Table *m = new Table;
        double a = now_ns();
        for (size_t i = 0; i < n; i++)
            (*m)[k->ins[i]] = k->ins[i] + 1;
        double b = now_ns();
        for (size_t i = 0; i < n; i++) {
            auto f = m->find(k->hit[i]);
            sum += f->second;
        }
        double c = now_ns();
        for (size_t i = 0; i < n; i++)
            sum += m->find(k->miss[i]) == m->end();
        double d = now_ns();
        if (it == 0)
            r->bytes_per_entry = (double)live_bytes / n;
        for (size_t i = 0; i < n; i++)
            m->erase(k->del[i]);
        double e = now_ns();
        delete m;
        t[0] += b - a;
        t[1] += c - b;
        t[2] += d - c;
        t[3] += e - d;
    }
    double ops = (double)n * iters;
    r->insert = t[0] / ops;
    r->hit = t[1] / ops;
    r->miss = t[2] / ops;
    r->del = t[3] / ops;
    r->checksum = sum;
}

extern "C" void mb_absl_fill_latency(const struct mb_keys *k, struct mb_latency *l)
{
    Table m;
    for (size_t i = 0; i < k->n; i++) {
        uint64_t key = k->ins[i];
        uint64_t t0 = mb_tsc_start();
        m[key] = key + 1;
        uint64_t t1 = mb_tsc_stop();
        mb_lat_add(l, t1 - t0);
    }
}
