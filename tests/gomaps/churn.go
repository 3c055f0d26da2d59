// churn.go — insert/delete churn near the load factor, and a low-load control.
//
// Both maps hold the same number of entries and get the same delete-one,
// insert-one churn.  The churn map sits just under its growth threshold
// (6.5 entries per bucket), so buckets overflow, the overflow buckets are
// never reclaimed, and Go keeps running same-size grows to compact them.  The
// control has 4x the buckets (a make hint) and never needs an overflow chain.
// The program counts the same-size grows it sees itself: after every write it
// checks whether a growth started without B changing.
package main

import (
	"flag"
	"math/rand"
)

var want = flag.Int("samesize", 3, "stop churning after this many same-size grows")

// churn deletes one live key and inserts a new one, n times or until the map has
// run `stop` same-size grows; it returns the number of same-size grows seen.
var next = int64(1 << 40) // fresh keys, never seen before

func churn(m map[int64]int64, keys []int64, rng *rand.Rand, n, stop int) int {
	seen := 0
	for i := 0; i < n && (stop == 0 || seen < stop); i++ {
		j := rng.Intn(len(keys))
		delete(m, keys[j])
		was, b := growing(m), hdr(m).B
		keys[j] = next
		next += 7919
		m[keys[j]] = 1
		if !was && growing(m) && hdr(m).B == b {
			seen++
		}
	}
	return seen
}

func fill(m map[int64]int64, n int) []int64 {
	keys := make([]int64, n)
	for i := range keys {
		keys[i] = int64(i) * 104729
		m[keys[i]] = 1
	}
	return keys
}

func main() {
	start()
	const entries = 6600 // 2^10 buckets hold 6656 before growing
	rng := rand.New(rand.NewSource(1))
	hot := map[int64]int64{}
	hotKeys := fill(hot, entries)
	ops := 0
	seen := 0
	for seen < *want && ops < 20_000_000 {
		seen += churn(hot, hotKeys, rng, 10000, *want-seen)
		ops += 10000
	}
	// Finish the last compaction so the final state is a settled map.
	for i := 0; growing(hot) && i < 1_000_000; i++ {
		j := rng.Intn(len(hotKeys))
		hot[hotKeys[j]] = 2
	}
	control := make(map[int64]int64, 4*entries)
	controlKeys := fill(control, entries)
	controlSeen := churn(control, controlKeys, rng, ops, 0)

	truth("churn", hot, seen)
	truth("lowload", control, controlSeen)
	ready(hot, control)
}
