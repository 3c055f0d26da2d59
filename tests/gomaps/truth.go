// truth.go — how the gomaps test programs report their own maps' state.
//
// Each test program builds map pathologies on purpose and prints one TRUTH
// line per map, read straight from the runtime's own structures through
// unsafe: the hmap header (a copy of runtime.hmap's declaration, so the Go
// compiler lays it out) and the real allocation size of each bucket array,
// taken from the heap span that holds it (runtime.findObject).  The tests
// compare mapscope gomaps' findings with these lines.  Go 1.17-1.23 only.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"time"
	"unsafe"
)

type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      *mapextra
}

type mapextra struct {
	overflow     *[]unsafe.Pointer
	oldoverflow  *[]unsafe.Pointer
	nextOverflow unsafe.Pointer
}

// The leading fields of runtime.mspan (Go 1.19), up to elemsize.
type mspan struct {
	next, prev, list                                     unsafe.Pointer
	startAddr, npages, manualFreeList, freeindex, nelems uintptr
	allocCache                                           uint64
	allocBits, gcmarkBits                                unsafe.Pointer
	sweepgen, divMul                                     uint32
	allocCount                                           uint16
	spanclass, state, needzero                           uint8
	allocCountBeforeCache                                uint16
	elemsize                                             uintptr
}

//go:linkname findObject runtime.findObject
func findObject(p, refBase, refOff uintptr) (base uintptr, s *mspan, objIndex uintptr)

type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// hdr returns the runtime header of map m.
func hdr(m any) *hmap {
	return (*hmap)((*eface)(unsafe.Pointer(&m)).data)
}

// allocSize is the size the allocator really gave the object at p.
func allocSize(p unsafe.Pointer) uintptr {
	if p == nil {
		return 0
	}
	base, s, _ := findObject(uintptr(p), 0, 0)
	if s == nil || base != uintptr(p) {
		return 0
	}
	return s.elemsize
}

func growing(m any) bool { return hdr(m).oldbuckets != nil }

func sliceLen(p *[]unsafe.Pointer) int {
	if p == nil {
		return 0
	}
	return len(*p)
}

// oldChains counts the overflow buckets hanging off the old array's buckets (the
// ones not evacuated yet keep their chains), walking them as the runtime does.
func oldChains(h *hmap, bucketsize uintptr, oldB uint8) int {
	if h.oldbuckets == nil {
		return 0
	}
	n := 0
	for i := uintptr(0); i < uintptr(1)<<oldB; i++ {
		b := unsafe.Add(h.oldbuckets, i*bucketsize)
		for ovf := *(*unsafe.Pointer)(unsafe.Add(b, bucketsize-8)); ovf != nil; ovf = *(*unsafe.Pointer)(unsafe.Add(ovf, bucketsize-8)) {
			n++
		}
	}
	return n
}

// truth prints the map's state; samesize is what the program itself counted.
func truth(name string, m any, samesize int) {
	h := hdr(m)
	ovf, oldovf := -1, -1
	if h.extra != nil {
		ovf, oldovf = sliceLen(h.extra.overflow), sliceLen(h.extra.oldoverflow)
	}
	g := 0
	if h.oldbuckets != nil {
		g = 1
	}
	t := (*eface)(unsafe.Pointer(&m)).typ
	oldB := h.B
	if h.flags&8 == 0 && oldB > 0 { // not a same-size grow
		oldB--
	}
	bucketsize := uintptr(*(*uint16)(unsafe.Add(t, 82))) // maptype.bucketsize
	fmt.Printf("TRUTH name=%s map=%p maptype=%p count=%d B=%d bucket_bytes=%d old_bytes=%d noverflow=%d "+
		"overflow_len=%d oldoverflow_len=%d oldoverflow_chains=%d growing=%d nevacuate=%d samesize=%d\n",
		name, h, t, h.count, h.B, allocSize(h.buckets), allocSize(h.oldbuckets), h.noverflow,
		ovf, oldovf, oldChains(h, bucketsize, oldB), g, h.nevacuate, samesize)
}

var (
	hold     = flag.Duration("hold", 3*time.Second, "stay alive this long after READY")
	trigger  = flag.String("trigger", "", "wait for this file to exist before building the maps")
	graceful = flag.Duration("graceful", 0, "on SIGINT, take this long to shut down, then exit 0")
)

// start waits for the trigger file (when given), so a test can attach first.
func start() {
	flag.Parse()
	for *trigger != "" {
		if _, err := os.Stat(*trigger); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fillUntilGrowing inserts key(i) for i = 0, 1, ... until a growth to at least
// 2^minB buckets has started.
func fillUntilGrowing[K comparable, V any](m map[K]V, key func(int) K, v V, minB uint8) {
	for i := 0; ; i++ {
		m[key(i)] = v
		if h := hdr(m); h.oldbuckets != nil && h.B >= minB {
			return
		}
	}
}

// emptiedMap fills a map with n entries, then deletes them all: it keeps its array.
func emptiedMap(n int64) map[int64]int64 {
	m := map[int64]int64{}
	for i := int64(0); i < n; i++ {
		m[i] = i
	}
	for i := int64(0); i < n; i++ {
		delete(m, i)
	}
	return m
}

// clearedMap fills a map with n entries and empties it with the clear idiom.
func clearedMap(n int) map[string]int {
	m := map[string]int{}
	for i := 0; i < n; i++ {
		m[strconv.Itoa(i)] = i
	}
	for k := range m { // compiled to runtime.mapclear
		delete(m, k)
	}
	return m
}

// sparseMap fills a map with n entries and deletes all but the first keep.
func sparseMap(n, keep int64) map[int64][2]int64 {
	m := map[int64][2]int64{}
	for i := int64(0); i < n; i++ {
		m[i] = [2]int64{i, i}
	}
	for i := keep; i < n; i++ {
		delete(m, i)
	}
	return m
}

// filledMap makes a map with a hint of n and fills it to that.
func filledMap(n int64) map[int64]int64 {
	m := make(map[int64]int64, n)
	for i := int64(0); i < n; i++ {
		m[i] = i
	}
	return m
}

// ready tells the test the maps are built, then keeps the process and the maps alive.
// With -graceful, a SIGINT starts a shutdown like a service's: a message, some work,
// a clean exit.
func ready(maps ...any) {
	intr := make(chan os.Signal, 1)
	if *graceful > 0 {
		signal.Notify(intr, os.Interrupt)
	}
	fmt.Println("READY")
	os.Stdout.Sync()
	select {
	case <-time.After(*hold):
	case <-intr:
		fmt.Println("SIGINT: shutting down")
		time.Sleep(*graceful)
		fmt.Println("BYE")
		os.Exit(0)
	}
	runtime.KeepAlive(maps)
}
