/*
 * dump_crc.c — the CRC-32 that guards every dump record (see dump_format.h).
 *
 * Same polynomial and conventions as zlib's crc32() (IEEE 802.3, reflected,
 * pre- and post-inverted), so any tool can verify a record.  Byte-at-a-time
 * with a table built at compile time: it never allocates and needs no
 * initialisation, which matters inside the shim.
 */
#include "dump_format.h"

/* Table entry for byte n: the CRC of that byte alone (reflected polynomial
 * 0xEDB88320), computed by the preprocessor so there is no init step. */
#define MS_CRC_POLY 0xEDB88320u
#define MS_CRC_B(c) (((c) >> 1) ^ (((c)&1u) ? MS_CRC_POLY : 0u))
#define MS_CRC_8(c)                                                                                \
    MS_CRC_B(MS_CRC_B(MS_CRC_B(MS_CRC_B(MS_CRC_B(MS_CRC_B(MS_CRC_B(MS_CRC_B(c))))))))
#define MS_CRC_R4(n) MS_CRC_8(n##u), MS_CRC_8(n##u + 1u), MS_CRC_8(n##u + 2u), MS_CRC_8(n##u + 3u)

static const uint32_t crc_table[256] = {
#define MS_ROW(b) MS_CRC_R4(b + 0), MS_CRC_R4(b + 4), MS_CRC_R4(b + 8), MS_CRC_R4(b + 12)
    MS_ROW(0),   MS_ROW(16),  MS_ROW(32),  MS_ROW(48),  MS_ROW(64),  MS_ROW(80),
    MS_ROW(96),  MS_ROW(112), MS_ROW(128), MS_ROW(144), MS_ROW(160), MS_ROW(176),
    MS_ROW(192), MS_ROW(208), MS_ROW(224), MS_ROW(240),
#undef MS_ROW
};

uint32_t ms_crc32(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}
