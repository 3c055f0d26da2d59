// swiss.go — one Swiss-table map per gomaps finding, and controls.
//
// retained: 1M int64 entries all deleted (retained_capacity/emptied);
// cleared: 100k string keys emptied with clear() (retained_capacity/cleared);
// shrunk: 200k entries of which 100 remain (retained_capacity/shrunk);
// large: 60k string->string entries all deleted: full tables' group arrays are
// over 32 KiB, each its own span (large_span/emptied);
// churn64, churnstr, churngen: 6000 live keys under 1M insert/delete steps, on
// the fast64, faststr and generic assign paths (tombstone_bloat where the
// toolchain never prunes them: every path on 1.24, the generic one on 1.25+).
// prealloc: a make hint of 500k never used: no growth, found by the periodic heap
// scan (retained_capacity/preallocated_unused).
// Controls: full (a healthy 1M map), small (1000 entries emptied: too little
// waste to flag), steady (200k live, 20k insert/delete steps at low load).
package main

import "strconv"

type pair struct{ a, b int64 }

func churn[K comparable](key func(int) K, live, steps int) map[K]int64 {
	m := map[K]int64{}
	for i := 0; i < live; i++ {
		m[key(i)] = int64(i)
	}
	for i := live; i < live+steps; i++ {
		delete(m, key(i-live))
		m[key(i)] = int64(i)
	}
	return m
}

func main() {
	flag_parse()
	retained := map[int64]int64{}
	for i := int64(0); i < 1_000_000; i++ {
		retained[i] = i
	}
	for i := int64(0); i < 1_000_000; i++ {
		delete(retained, i)
	}
	cleared := map[string]int{}
	for i := 0; i < 100_000; i++ {
		cleared[strconv.Itoa(i)] = i
	}
	clear(cleared)
	shrunk := map[int64][2]int64{}
	for i := int64(0); i < 200_000; i++ {
		shrunk[i] = [2]int64{i, i}
	}
	for i := int64(100); i < 200_000; i++ {
		delete(shrunk, i)
	}
	large := map[string]string{}
	for i := 0; i < 60_000; i++ {
		large[strconv.Itoa(i)] = "v"
	}
	for i := 0; i < 60_000; i++ {
		delete(large, strconv.Itoa(i))
	}
	churn64 := churn(func(i int) int64 { return int64(i) }, 6000, 1_000_000)
	churnstr := churn(func(i int) string { return strconv.Itoa(i) }, 6000, 1_000_000)
	churngen := churn(func(i int) pair { return pair{int64(i), 1} }, 6000, 1_000_000)
	full := map[int64]int64{}
	for i := int64(0); i < 1_000_000; i++ {
		full[i] = i
	}
	small := map[int64]int64{}
	for i := int64(0); i < 1000; i++ {
		small[i] = i
	}
	for i := int64(0); i < 1000; i++ {
		delete(small, i)
	}
	steady := churn(func(i int) int64 { return int64(i) }, 200_000, 20_000)
	prealloc := make(map[int64]int64, 500_000)

	truth("retained", retained)
	truth("cleared", cleared)
	truth("shrunk", shrunk)
	truth("large", large)
	truth("churn64", churn64)
	truth("churnstr", churnstr)
	truth("churngen", churngen)
	truth("full", full)
	truth("small", small)
	truth("steady", steady)
	truth("prealloc", prealloc)
	ready(retained, cleared, shrunk, large, churn64, churnstr, churngen, full, small, steady,
		prealloc)
}
