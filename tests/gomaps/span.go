// span.go — large bucket arrays held by empty or nearly empty maps.
//
// emptied: a 1M-entry map whose entries are all deleted one by one; cleared:
// a map emptied with the clear idiom (runtime.mapclear); sparse: 200k entries
// of which 100 remain; preallocated: a big make hint never used.  Maps never
// shrink, so all four keep their whole bucket array.  Control: a presized map
// filled to its hint.
package main

func main() {
	start()
	emptied := emptiedMap(1_000_000)
	cleared := clearedMap(100_000)
	sparse := sparseMap(200_000, 100)
	prealloc := make(map[int64]string, 500_000)
	control := filledMap(100_000)

	truth("emptied", emptied, 0)
	truth("cleared", cleared, 0)
	truth("sparse", sparse, 0)
	truth("preallocated", prealloc, 0)
	truth("filled", control, 0)
	ready(emptied, cleared, sparse, prealloc, control)
}
