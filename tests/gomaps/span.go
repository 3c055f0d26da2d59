// span.go — large bucket arrays held by empty or nearly empty maps.
//
// emptied: a 1M-entry map whose entries are all deleted one by one; cleared:
// a map emptied with the clear idiom (runtime.mapclear); sparse: 200k entries
// of which 100 remain; preallocated: a big make hint never used.  Maps never
// shrink, so all four keep their whole bucket array.  Control: a presized map
// filled to its hint.
package main

import "strconv"

func main() {
	start()
	emptied := map[int64]int64{}
	for i := int64(0); i < 1_000_000; i++ {
		emptied[i] = i
	}
	for i := int64(0); i < 1_000_000; i++ {
		delete(emptied, i)
	}
	cleared := map[string]int{}
	for i := 0; i < 100_000; i++ {
		cleared[strconv.Itoa(i)] = i
	}
	for k := range cleared { // compiled to runtime.mapclear
		delete(cleared, k)
	}
	sparse := map[int64][2]int64{}
	for i := int64(0); i < 200_000; i++ {
		sparse[i] = [2]int64{i, i}
	}
	for i := int64(100); i < 200_000; i++ {
		delete(sparse, i)
	}
	prealloc := make(map[int64]string, 500_000)
	control := make(map[int64]int64, 100_000)
	for i := int64(0); i < 100_000; i++ {
		control[i] = i
	}

	truth("emptied", emptied, 0)
	truth("cleared", cleared, 0)
	truth("sparse", sparse, 0)
	truth("preallocated", prealloc, 0)
	truth("filled", control, 0)
	ready(emptied, cleared, sparse, prealloc, control)
}
