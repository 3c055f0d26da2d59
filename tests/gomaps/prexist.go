// prexist.go — map pathologies that already exist when mapscope attaches.
//
// Everything is built first; the program then prints its TRUTH lines and
// READY, and is attached to only after that (mapscope gomaps -p).  None of
// these maps grows, is cleared or is made again, so no probe ever fires for
// them: the attach-time heap scan has to find them.
//
//	stuck_int  map[int64]int64 stopped mid-growth to 2^18 buckets (38 MB + 19 MB)
//	stuck_str  map[string]*session stopped mid-growth to 2^16 buckets
//	emptied    1M entries, all deleted
//	sparse     100 left of 200k
//	cleared    emptied with the clear idiom (runtime.mapclear)
//	prealloc   make(map[int64]string, 500_000), never filled
//
// Controls that must not be flagged: a map whose growth completed, a presized
// map filled to its hint, and a large map dropped and garbage-collected before
// READY (its memory is free, its header stale).
//
// Like most services (through net/http/pprof), it links Go's memory profiler,
// so the runtime samples its large allocations: their stacks are the sites the
// scan reports.  A program that never references runtime.MemProfile has
// sampling switched off by the linker.
package main

import (
	"os"
	"runtime"
	"strconv"
)

type session struct {
	id   int64
	user string
}

func main() {
	start()
	if len(os.Args) > 1000 {
		runtime.MemProfile(nil, false) // never runs; keeps heap sampling on
	}
	i64 := func(i int) int64 { return int64(i) * 7919 }
	stuckInt := map[int64]int64{}
	fillUntilGrowing(stuckInt, i64, 1, 18)
	stuckStr := map[string]*session{}
	fillUntilGrowing(stuckStr, func(i int) string { return "session-" + strconv.Itoa(i) },
		&session{1, "u"}, 16)

	emptied := emptiedMap(1_000_000)
	sparse := sparseMap(200_000, 100)
	cleared := clearedMap(100_000)
	prealloc := make(map[int64]string, 500_000)

	completed := map[int64]int64{}
	for i := int64(0); i < 200_000; i++ {
		completed[i] = i
	}
	filled := filledMap(100_000)
	dropped := emptiedMap(300_000)
	truth("dropped", dropped, 0)
	dropped = nil
	runtime.GC() // frees the header and the array; the sweep is done when GC returns
	runtime.GC()

	truth("stuck_int", stuckInt, 0)
	truth("stuck_str", stuckStr, 0)
	truth("emptied", emptied, 0)
	truth("sparse", sparse, 0)
	truth("cleared", cleared, 0)
	truth("prealloc", prealloc, 0)
	truth("completed", completed, 0)
	truth("filled", filled, 0)
	ready(stuckInt, stuckStr, emptied, sparse, cleared, prealloc, completed, filled)
}
