// scanload.go — a heap for measuring the attach-time heap scan at scale.
//
// One million small maps (each header a 48-byte object, like every map's) and
// two million 48-byte records share the map header's size class, so the scan
// reads and checks three million candidate headers; among them one emptied
// 2M-entry map is the only one with a large bucket array.  About 500 MB.
package main

type record struct {
	a, b, c int64
	s       string
	next    *record
}

func main() {
	start()
	small := make([]map[int]int, 0, 1_000_000)
	for i := 0; i < 1_000_000; i++ {
		small = append(small, map[int]int{i: i})
	}
	records := make([]*record, 0, 2_000_000)
	for i := 0; i < 2_000_000; i++ {
		records = append(records, &record{a: int64(i)})
	}
	big := emptiedMap(2_000_000)
	truth("big", big, 0)
	ready(small, records, big)
}
