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

} // namespace

extern "C" void mb_absl_run(const struct mb_keys *k, unsigned iters, struct mb_result *r)
{
    struct mb_phases p = {{0}, 0};
    uint64_t sum = 0;
    size_t n = k->n;
    for (unsigned it = 0; it < iters; it++) {
        Table *m = new Table;
        mb_phase_begin(&p);
        for (size_t i = 0; i < n; i++)
            (*m)[k->ins[i]] = k->ins[i] + 1;
        mb_phase_end(&p, MB_INSERT);
        for (size_t i = 0; i < n; i++)
            sum += m->find(k->hit[i])->second;
        mb_phase_end(&p, MB_HIT);
        for (size_t i = 0; i < n; i++)
            sum += m->find(k->miss[i]) == m->end();
        mb_phase_end(&p, MB_MISS);
        if (it == 0)
            r->bytes_per_entry = (double)live_bytes / n;
        mb_phase_begin(&p);
        for (size_t i = 0; i < n; i++)
            m->erase(k->del[i]);
        mb_phase_end(&p, MB_DELETE);
        delete m;
    }
    mb_phases_result(&p, n, iters, sum, r);
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
