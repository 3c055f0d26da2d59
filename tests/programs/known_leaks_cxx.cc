/*
 * known_leaks_cxx.cc — the C++ part of the known-leak program: operator
 * new/delete reach malloc/free through libstdc++, so the shim sees them
 * with operator new as the innermost frame.  Prints nothing.
 *
 *   kl_cxx_leak_array   2 x new int[10] (40 bytes), leaked
 *   kl_cxx_new_delete   4 x new Obj (48 bytes), each deleted
 *   kl_cxx_leak_object  1 x new Obj, leaked
 */
#include <cstddef>

struct Obj {
    long v[6];
};

static void *volatile sink[8];
volatile int kl_two = 2, kl_four = 4; /* opaque loop bounds: no unrolling */

__attribute__((noinline)) void kl_cxx_leak_array()
{
    for (int i = 0; i < kl_two; i++)
        sink[i] = new int[10];
}

__attribute__((noinline)) void kl_cxx_new_delete()
{
    for (int i = 0; i < kl_four; i++) {
        Obj *o = new Obj();
        sink[4] = o;
        delete o;
    }
}

__attribute__((noinline)) void kl_cxx_leak_object()
{
    sink[5] = new Obj();
}

int main()
{
    kl_cxx_leak_array();
    kl_cxx_new_delete();
    kl_cxx_leak_object();
    return 0;
}
