// linger.go — maps stopped mid-growth, and two that must not be flagged.
//
// Each lingering map is filled until an insert starts a growth, then never
// written again, so evacuation stops (it advances only on writes).  Key types
// cover the fast paths (int64, string) and the generic one (a struct key).
// Controls: a map whose growth ran to completion, and a presized map that
// never grows.
package main

import (
	"fmt"
)

type skey struct {
	a, b int32
	s    string
}

func main() {
	start()
	i64 := func(i int) int64 { return int64(i) * 7919 }
	lingerInt := map[int64]int64{}
	fillUntilGrowing(lingerInt, i64, 1, 6)
	lingerStr := map[string]int{}
	fillUntilGrowing(lingerStr, func(i int) string { return fmt.Sprintf("key-%d", i) }, 1, 6)
	lingerStruct := map[skey]float64{}
	fillUntilGrowing(lingerStruct, func(i int) skey { return skey{int32(i), 7, "s"} }, 1.5, 6)
	lingerBig := map[int64]int64{}
	fillUntilGrowing(lingerBig, i64, 1, 18)

	completed := map[int64]int64{}
	fillUntilGrowing(completed, i64, 1, 8)
	for i := 1 << 20; growing(completed); i++ {
		completed[int64(i)] = 1
	}
	presized := make(map[int64]int64, 5000)
	for i := 0; i < 5000; i++ {
		presized[int64(i)] = 1
	}

	truth("linger_int64", lingerInt, 0)
	truth("linger_string", lingerStr, 0)
	truth("linger_struct", lingerStruct, 0)
	truth("linger_big", lingerBig, 0)
	truth("completed", completed, 0)
	truth("presized", presized, 0)
	ready(lingerInt, lingerStr, lingerStruct, lingerBig, completed, presized)
}
