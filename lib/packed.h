/*
 * packed.h — a live block's value in the map engine, packed into 8 bytes.
 */
#ifndef MS_PACKED_H
#define MS_PACKED_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* A live block's value in the map engine, packed into 8 bytes so a bucket
 * of the engine costs 8 + 8x8 + 8x8 + 8 = 144 bytes for 8 blocks (see
 * books.c for why every byte counts). */
#define MS_SIZE_BITS  28
#define MS_STACK_BITS 20
#define MS_BIRTH_BITS 16
#define MS_SIZE_BIG   ((1u << MS_SIZE_BITS) - 1) /* real size in the big-block map */
#define MS_STACK_MAX  ((1u << MS_STACK_BITS) - 1)

static inline uint64_t ms_pack(uint64_t size, uint32_t stack, uint32_t birth)
{
    return (size < MS_SIZE_BIG ? size : MS_SIZE_BIG) | ((uint64_t)stack << MS_SIZE_BITS) |
           ((uint64_t)birth << (MS_SIZE_BITS + MS_STACK_BITS));
}
static inline uint32_t ms_packed_stack(uint64_t v)
{
    return (uint32_t)(v >> MS_SIZE_BITS) & MS_STACK_MAX;
}
static inline uint32_t ms_packed_birth(uint64_t v)
{
    return (uint32_t)(v >> (MS_SIZE_BITS + MS_STACK_BITS));
}
static inline uint64_t ms_packed_size(uint64_t v)
{
    return v & MS_SIZE_BIG;
}

#pragma GCC visibility pop

#endif /* MS_PACKED_H */
