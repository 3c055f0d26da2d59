// swissattach.go — Swiss maps that exist before mapscope attaches (-p).
//
// kept: 1M int64 entries all deleted, still referenced; dropped: the same, no
// longer referenced (garbage until the next GC); unused: a make hint of 500k
// never used; named: 60k string->string entries deleted (its type comes from
// the heap's type record).  After READY the program waits -gc, runs a GC cycle
// (which frees dropped) and says so, then holds.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

var gcAfter = flagDuration("gc", 1500*time.Millisecond, "run a GC this long after READY")

func emptied(n int64) map[int64]int64 {
	m := map[int64]int64{}
	for i := int64(0); i < n; i++ {
		m[i] = i
	}
	for i := int64(0); i < n; i++ {
		delete(m, i)
	}
	return m
}

func main() {
	flag_parse()
	kept := emptied(1_000_000)
	dropped := emptied(1_000_000)
	unused := make(map[int64]int64, 500_000)
	named := map[string]string{}
	for i := 0; i < 60_000; i++ {
		named[strconv.Itoa(i)] = "v"
	}
	for i := 0; i < 60_000; i++ {
		delete(named, strconv.Itoa(i))
	}
	truth("kept", kept)
	truth("dropped", dropped)
	truth("unused", unused)
	truth("named", named)
	dropped = nil
	fmt.Println("READY")
	os.Stdout.Sync()
	time.Sleep(*gcAfter)
	runtime.GC()
	fmt.Println("GC done")
	time.Sleep(*hold)
	runtime.KeepAlive(kept)
	runtime.KeepAlive(unused)
	runtime.KeepAlive(named)
}
