// inspect.go — the Go program gobin.test builds with every toolchain and build mode to
// check mapscope's binary inspection against the runtime's own answers.
//
// It prints what only the running program knows for sure: the address of its map
// type descriptor (the first word of a map in an interface), the address of main.main
// as loaded (PIE builds move it), and the frames the runtime itself reports for a pc
// inside two levels of inlined calls (runtime.CallersFrames expands the inline tree).
package main

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"unsafe"
)

var sink map[string]int

// leaf and middle are small enough to be inlined into main.
func leaf(pcs []uintptr) int {
	return runtime.Callers(1, pcs)
}

func middle(pcs []uintptr) int {
	n := leaf(pcs)
	return n
}

func main() {
	m := make(map[string]int)
	for i := 0; i < 100; i++ {
		m[fmt.Sprint(i)] = i
	}
	sink = m
	var i interface{} = m
	typ := (*[2]uintptr)(unsafe.Pointer(&i))[0]
	fmt.Printf("TYPE addr=%#x name=%s\n", typ, reflect.TypeOf(m).String())
	fmt.Printf("MAIN addr=%#x\n", reflect.ValueOf(main).Pointer())
	pcs := make([]uintptr, 8)
	n := middle(pcs)
	// pcs[0] is the return address of the runtime.Callers call inside leaf (inlined);
	// the instruction before it is the call.
	fmt.Printf("INLINE pc=%#x", pcs[0]-1)
	frames := runtime.CallersFrames(pcs[:n])
	for k := 0; k < 3; k++ {
		f, more := frames.Next()
		file := f.File[strings.LastIndex(f.File, "/")+1:]
		fmt.Printf(" %s@%s:%d", f.Function, file, f.Line)
		if !more {
			break
		}
	}
	fmt.Println()
	os.Stdout.Sync()
}
