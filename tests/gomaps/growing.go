// growing.go — a big growth that keeps progressing, next to one that stopped.
//
// growing: map[int64]int64 grown to 2^17 buckets, then written slowly by a
// goroutine (one new key every 5 ms): each write evacuates one or two of the
// 65536 old buckets, so the growth takes minutes and holds both arrays (19 +
// 9.5 MB) all that time, while its evacuation mark keeps moving.  Flagged
// large_span/mid_growth, never lingering.  stalled: the same, never written
// again: lingering_oldbuckets, not mid_growth.
package main

import "time"

func main() {
	start()
	i64 := func(i int) int64 { return int64(i) * 7919 }
	growing := map[int64]int64{}
	fillUntilGrowing(growing, i64, 1, 17)
	stalled := map[int64]int64{}
	fillUntilGrowing(stalled, i64, 1, 17)
	truth("growing", growing, 0)
	truth("stalled", stalled, 0)
	go func() {
		for i := 1 << 30; ; i++ {
			growing[int64(i)] = 1
			time.Sleep(5 * time.Millisecond)
		}
	}()
	ready(growing, stalled)
}
