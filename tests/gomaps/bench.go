// bench.go — a map-heavy Go workload for the gomaps overhead benchmark.
//
// Per round: a 300k-entry int64 map built from empty (18 growths), 600k
// lookups, half of it deleted; a 100k-entry string map from a small hint; and
// 2000 small request-scoped maps that each outgrow their first bucket (one
// hashGrow each, the common case in services that decode JSON objects into
// maps).  It prints its own elapsed and CPU time (user+system: uprobe traps
// are charged to the thread that hits them), so the benchmark compares the
// workload and not the tool's start-up.
package main

import (
	"flag"
	"fmt"
	"strconv"
	"syscall"
	"time"
)

var sink int

func round() {
	m := map[int64]int64{}
	for i := 0; i < 300_000; i++ {
		m[int64(i)*7] = int64(i)
	}
	for i := 0; i < 600_000; i++ {
		sink += int(m[int64(i)*3])
	}
	for i := 0; i < 150_000; i++ {
		delete(m, int64(i)*7)
	}
	s := make(map[string]int, 1000)
	for i := 0; i < 100_000; i++ {
		s[strconv.Itoa(i)] = i
	}
	for i := 0; i < 2000; i++ {
		req := map[string]int{}
		for j := 0; j < 12; j++ {
			req[strconv.Itoa(j)] = j
		}
		sink += len(req)
	}
	sink += len(m) + len(s)
}

func main() {
	rounds := flag.Int("rounds", 10, "workload rounds")
	flag.Parse()
	start := time.Now()
	for r := 0; r < *rounds; r++ {
		round()
	}
	wall := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("BENCH elapsed_ms=%.3f cpu_ms=%.3f rounds=%d sink=%d\n",
		float64(wall.Microseconds())/1000, float64(cpu.Microseconds())/1000, *rounds, sink)
}
