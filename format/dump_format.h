/*
 * dump_format.h — the mapscope dump file format, shared by the writer (the
 * shim, lib/) and the reader (the report, tools/).
 *
 * The user-facing specification is man/mapscope-dump.5; the two must say
 * the same thing.  Why the format looks like this:
 *
 *  - It is a sequence of self-delimiting, checksummed records after a small
 *    header, so a reader can tell a truncated or damaged file and still use
 *    every complete record before the damage (a service killed mid-write
 *    must not lose the whole snapshot).
 *  - The last record is MS_REC_END.  A file without it is incomplete.
 *  - Everything is little-endian with fixed-width integers; strings are a
 *    u32 byte length followed by the bytes (no NUL).  No alignment padding.
 *  - Readers skip record types they do not know (forward compatibility);
 *    records whose layout grows get a field count (STACK_STATS) or are
 *    name/value lists (TOTALS, ENGINE, SETTINGS) so new figures can be
 *    added without a version bump.  MS_DUMP_VERSION changes only when an
 *    existing field changes meaning.
 *  - Stacks are raw return addresses plus the module list (path, load bias,
 *    address range, build-id): symbolization happens offline, in the report,
 *    possibly on another machine (heaptrack's split).
 *
 * Layout:
 *   header:  magic "MAPSCOPE" (8 bytes) | u16 version | u16 header_size (16)
 *            | u32 flags (0)
 *   record:  u16 type | u16 flags (0) | u32 payload_len | payload
 *            | u32 crc32 (IEEE, as zlib's crc32(), over type..payload)
 *   payload_len is at most MS_DUMP_MAX_RECORD.
 */
#ifndef MS_DUMP_FORMAT_H
#define MS_DUMP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define MS_DUMP_MAGIC       "MAPSCOPE" /* 8 bytes, not NUL-terminated in the file */
#define MS_DUMP_MAGIC_LEN   8
#define MS_DUMP_VERSION     1
#define MS_DUMP_HEADER_SIZE 16
#define MS_DUMP_REC_HEAD    8 /* type, flags, payload_len */
#define MS_DUMP_REC_TAIL    4 /* crc32 */
/* No record is larger: a reader treats a larger length as damage instead of
 * trying to allocate it. Big tables (timeline) are split across records. */
#define MS_DUMP_MAX_RECORD (16u << 20)

enum ms_rec_type {
    /* Who and when: u32 pid | u32 ppid | u64 start_unix_ns | u64 dump_unix_ns
     * | u32 reason (enum ms_dump_reason) | u32 seq (0,1,2.. per process)
     * | str exe | str cmdline (arguments separated by NUL bytes) */
    MS_REC_PROCESS = 1,
    /* The settings in force: u32 n | n × (str name | str value).
     * Names: output, interval_s, sample_bytes (0 = every allocation), depth,
     * unwind (libunwind|fp), linger_s, follow_children, signal, trigger. */
    MS_REC_SETTINGS = 2,
    /* A loaded object: u64 bias (dl_iterate_phdr's dlpi_addr) | u64 start
     * | u64 end (lowest and highest runtime address of its PT_LOAD segments)
     * | str path | str build_id (raw bytes, may be empty) */
    MS_REC_MODULE = 3,
    /* A call stack: u32 stack_id | u32 nframes | u64 frames[nframes].
     * Frame 0 is the innermost caller of the allocation function (the shim's
     * own frames are already skipped).  Every frame is a return address, so
     * a symbolizer looks up frame-1.  Stack ids are unique within a file. */
    MS_REC_STACK = 4,
    /* Per-stack counters: u32 stack_id | u32 nfields | u64 fields[nfields],
     * fields in the order of enum ms_stack_field.  A reader takes the fields
     * it knows and ignores extra ones; missing trailing fields read as 0.
     * In sampled mode the counters are unbiased estimates (scaled). */
    MS_REC_STACK_STATS = 5,
    /* Blocks alive longer than the linger threshold, for one stack:
     * u32 stack_id | u32 nbins | u64 blocks | u64 bytes | u64 oldest_age_ns
     * | nbins × (u64 min_age_ns | u64 blocks | u64 bytes); bins ascend by
     * min_age_ns and each covers ages up to the next bin's min_age_ns. */
    MS_REC_LINGER = 6,
    /* Heap over time: u64 interval_ns | u32 npoints | npoints × (u64 t_ns
     * since process start | u64 live_bytes | u64 live_blocks | u64 allocs
     * in the interval | u64 bytes allocated in the interval).  A long
     * timeline is several records; points ascend by t_ns across them. */
    MS_REC_TIMELINE = 7,
    /* Process-wide figures: u32 n | n × (str name | u64 value).  Names are
     * listed in enum-like MS_TOTAL_* strings below.  A dump may hold more
     * than one TOTALS record (a fork child's inherited_* figures come in a
     * second one); a reader takes the names of all of them. */
    MS_REC_TOTALS = 8,
    /* The profiler's own cost: u32 n | n × (str name | u64 value): the map
     * engine's ms_map_stats (prefixed "map."), the stack table's, the
     * shim's bytes mapped in all ("shim.bytes_mapped"), etc. */
    MS_REC_ENGINE = 9,
    /* Valgrind's leak kinds of the blocks alive at the dump, for one stack
     * (written only when the dump had a reachability scan, MAPSCOPE_REACH):
     * u32 stack_id | u32 nfields | u64 fields[nfields], fields in the order
     * of enum ms_kind_field (append only; a reader ignores extra fields and
     * reads missing ones as 0).  Stacks with no live block are left out. */
    MS_REC_LEAK_KINDS = 10,
    /* How the scan went: u32 n | n × (str name | u64 value), names
     * MS_REACH_* below.  Present when a scan was attempted; LEAK_KINDS
     * records are valid only when "reach.scans" is 1. */
    MS_REC_REACH = 11,
    /* Last record: u32 records (the number of records before this one).
     * A file that lacks it is incomplete (cut short, or still being
     * written by a process that died). */
    MS_REC_END = 15,
};

enum ms_dump_reason {
    MS_DUMP_AT_EXIT = 0,  /* destructor / atexit */
    MS_DUMP_INTERVAL = 1, /* periodic snapshot */
    MS_DUMP_SIGNAL = 2,   /* the configured signal */
    MS_DUMP_TRIGGER = 3,  /* the trigger file */
    MS_DUMP_API = 4,      /* an explicit request by the program */
};

/* Field order of MS_REC_STACK_STATS.  Append only. */
enum ms_stack_field {
    MS_SF_ALLOCS = 0,      /* allocations from this stack */
    MS_SF_BYTES_ALLOCATED, /* bytes requested by them */
    MS_SF_FREES,           /* of those, freed */
    MS_SF_BYTES_FREED,
    MS_SF_LIVE_BLOCKS, /* alive at dump time (at exit: leaked) */
    MS_SF_LIVE_BYTES,
    MS_SF_FAILED,      /* allocation calls from here that returned NULL */
    MS_SF_PEAK_BLOCKS, /* alive at the moment of the global peak */
    MS_SF_PEAK_BYTES,
    MS_SF_TEMPORARY, /* freed with no other allocation in between
                        (heaptrack's "temporary allocation") */
    MS_SF_COUNT
};

/* Field order of MS_REC_LEAK_KINDS.  Append only. */
enum ms_kind_field {
    MS_KF_DEFINITE_BLOCKS = 0, /* no pointer to it from anything reached */
    MS_KF_DEFINITE_BYTES,
    MS_KF_INDIRECT_BLOCKS, /* pointed to only by lost blocks */
    MS_KF_INDIRECT_BYTES,
    MS_KF_POSSIBLE_BLOCKS, /* reached only through interior pointers */
    MS_KF_POSSIBLE_BYTES,
    MS_KF_REACHABLE_BLOCKS, /* reached through start pointers from a root */
    MS_KF_REACHABLE_BYTES,
    MS_KF_COUNT
};

/* Names used in MS_REC_REACH (a reader must tolerate others). */
#define MS_REACH_SCANS      "reach.scans"           /* 1: the kinds are valid; 0: no scan */
#define MS_REACH_FAILED     "reach.failed"          /* why not: enum ms_reach_failure */
#define MS_REACH_THREADS    "reach.threads"         /* other threads of the process */
#define MS_REACH_STOPPED    "reach.threads_stopped" /* of those, registers taken */
#define MS_REACH_BLOCKS     "reach.blocks"          /* live blocks classified */
#define MS_REACH_UNREADABLE "reach.unreadable"      /* live blocks not in readable memory */
#define MS_REACH_ROOT_BYTES "reach.root_bytes"      /* root memory read */
#define MS_REACH_HEAP_BYTES "reach.heap_bytes"      /* block memory read */
#define MS_REACH_PAUSE_NS   "reach.pause_ns"        /* the program's threads held */
#define MS_REACH_SCAN_NS    "reach.scan_ns"         /* the whole scan, child included */

enum ms_reach_failure {
    MS_RF_NONE = 0,
    MS_RF_SAMPLED, /* sampled mode: most blocks are not in the books */
    MS_RF_MEMORY,  /* no memory for the scan */
    MS_RF_FORK,    /* the scanner could not be started */
    MS_RF_CRASHED, /* the scanner died (a fault outside the guarded ranges) */
    MS_RF_RANGES,  /* the shim's own ranges were not all known */
    MS_RF_TIMEOUT, /* the scanner took longer than 10 minutes and was killed */
};

/* Names used in MS_REC_TOTALS (a reader must tolerate others). */
#define MS_TOTAL_ALLOCATIONS     "allocations"
#define MS_TOTAL_FREES           "frees"
#define MS_TOTAL_BYTES_ALLOCATED "bytes_allocated"
#define MS_TOTAL_BYTES_FREED     "bytes_freed"
#define MS_TOTAL_INUSE_BLOCKS    "inuse_blocks"
#define MS_TOTAL_INUSE_BYTES     "inuse_bytes"
#define MS_TOTAL_PEAK_BYTES      "peak_bytes"
#define MS_TOTAL_PEAK_BLOCKS     "peak_blocks"
#define MS_TOTAL_PEAK_TIME_NS    "peak_time_ns"
#define MS_TOTAL_FAILED          "failed"
#define MS_TOTAL_UNKNOWN_FREES   "unknown_frees"
#define MS_TOTAL_TEMPORARY       "temporary"
#define MS_TOTAL_STACKS          "stacks"
#define MS_TOTAL_SAMPLED         "sampled_allocations" /* raw samples taken (sampled mode) */
#define MS_TOTAL_DROPPED                                                                           \
    "dropped" /* events not recorded (out of memory,                                               \
                 table full): figures are lower bounds */

/* Fork children only (a TOTALS record of its own): the blocks alive in the
 * parent at the fork (its own and those it had inherited itself), and the
 * child's frees of them.  None of these is in the child's other figures:
 * inherited blocks are the parent's, reported by the parent. */
#define MS_TOTAL_INHERITED_BLOCKS      "inherited_blocks"
#define MS_TOTAL_INHERITED_BYTES       "inherited_bytes"
#define MS_TOTAL_INHERITED_FREES       "inherited_frees"
#define MS_TOTAL_INHERITED_BYTES_FREED "inherited_bytes_freed"

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): crc = ms_crc32(0, buf,
 * len) and chaining crc = ms_crc32(crc, more, n).  Written here rather than
 * taken from zlib because the shim must not pull libz into the profiled
 * program's namespace; tests check it against zlib. */
uint32_t ms_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* MS_DUMP_FORMAT_H */
