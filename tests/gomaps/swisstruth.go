// swisstruth.go — how the Swiss-map test programs report their own maps' state.
//
// Go 1.24+ only (Swiss tables).  Each program prints one TRUTH line per map,
// read straight from the runtime's structures through unsafe: the Map header
// and table headers (copies of internal/runtime/maps' declarations, so the
// compiler lays them out), the directory, and the real allocation size of the
// directory, every table and every group array, from the heap span holding it
// (runtime.findObject).  The tests compare mapscope gomaps' findings with them.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"
)

type swissMap struct {
	used              uint64
	seed              uintptr
	dirPtr            unsafe.Pointer
	dirLen            int
	globalDepth       uint8
	globalShift       uint8
	writing           uint8
	tombstonePossible bool
	clearSeq          uint64
}

type swissTable struct {
	used       uint16
	capacity   uint16
	growthLeft uint16
	localDepth uint8
	index      int
	groups     unsafe.Pointer
	lengthMask uint64
}

// The leading fields of runtime.mspan (Go 1.22 and later), up to elemsize.
type mspan struct {
	next, prev, list                    unsafe.Pointer
	startAddr, npages, manualFreeList   uintptr
	freeindex, nelems, freeIndexForScan uint16
	allocCache                          uint64
	allocBits, gcmarkBits, pinnerBits   unsafe.Pointer
	sweepgen, divMul                    uint32
	allocCount                          uint16
	spanclass, state, needzero          uint8
	isUserArenaChunk                    bool
	allocCountBeforeCache               uint16
	elemsize                            uintptr
}

//go:linkname findObject runtime.findObject
func findObject(p, refBase, refOff uintptr) (base uintptr, s *mspan, objIndex uintptr)

type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func header(m any) *swissMap {
	return (*swissMap)((*eface)(unsafe.Pointer(&m)).data)
}

// allocSize is what the allocator gave the object at p (which may follow an
// 8-byte malloc header), and whether it is a large object (its own span).
func allocSize(p unsafe.Pointer) (uintptr, bool) {
	if p == nil {
		return 0, false
	}
	base, s, _ := findObject(uintptr(p), 0, 0)
	if s == nil || uintptr(p)-base > 8 {
		return 0, false
	}
	return s.elemsize, s.spanclass>>1 == 0
}

func maxGrowth(capacity uint64) uint64 {
	if capacity <= 8 {
		return capacity - 1
	}
	return capacity * 7 / 8
}

// truth prints the map's state as the runtime has it.
func truth(name string, m any) {
	h := header(m)
	var capacity, tables, tombs, held, large uint64
	if h.dirLen > 0 {
		dir := unsafe.Slice((**swissTable)(h.dirPtr), h.dirLen)
		var last *swissTable
		for _, t := range dir {
			if t == last {
				continue
			}
			last = t
			tables++
			capacity += uint64(t.capacity)
			tombs += maxGrowth(uint64(t.capacity)) - uint64(t.used) - uint64(t.growthLeft)
			gb, gl := allocSize(t.groups)
			tb, _ := allocSize(unsafe.Pointer(t))
			held += uint64(gb + tb)
			if gl {
				large += uint64(gb)
			}
		}
		db, dl := allocSize(h.dirPtr)
		held += uint64(db)
		if dl {
			large += uint64(db)
		}
	}
	fmt.Printf("TRUTH name=%s map=%p count=%d capacity=%d tables=%d dir_len=%d tombstones=%d "+
		"bytes_held=%d large_bytes=%d clears=%d\n",
		name, h, h.used, capacity, tables, h.dirLen, tombs, held, large, h.clearSeq)
}

var hold = flag.Duration("hold", 3*time.Second, "stay alive this long after READY")

func flag_parse() { flag.Parse() }

func flagDuration(name string, d time.Duration, usage string) *time.Duration {
	return flag.Duration(name, d, usage)
}

// ready tells the test the maps are built, then keeps the process and the maps alive.
func ready(maps ...any) {
	fmt.Println("READY")
	os.Stdout.Sync()
	time.Sleep(*hold)
	runtime.KeepAlive(maps)
}
