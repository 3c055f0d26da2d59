/*
 * replay_main.c — a driver for fuzz_report.c when libFuzzer is not
 * available (gcc builds): runs every file given (or every file in the given
 * directories), then, for a bounded time, mutated variants of them (bit
 * flips, byte runs, truncation, splicing of two inputs, length fields
 * made huge) from a fixed seed, so a run is repeatable.
 *
 *   fuzz_report_replay [-t SECONDS] [-s SEED] FILE|DIR...
 * A crash or a sanitizer report fails the run; it prints how many inputs ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    uint8_t *data;
    size_t size;
};

static struct input *inputs;
static size_t ninputs;

static void load(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            load(sub);
        }
        if (d)
            closedir(d);
        return;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    inputs = realloc(inputs, (ninputs + 1) * sizeof *inputs);
    if (!inputs || !buf)
        abort();
    inputs[ninputs].data = buf;
    inputs[ninputs++].size = n;
}

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13; /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t mutate(const struct input *a, const struct input *b, uint8_t *out, size_t cap)
{
    size_t n = a->size < cap ? a->size : cap;
    memcpy(out, a->data, n);
    int rounds = 1 + (int)(next() % 4);
    for (int r = 0; r < rounds && n; r++) {
        size_t at = next() % n;
        switch (next() % 6) {
        case 0:
            out[at] ^= (uint8_t)(1u << (next() % 8));
            break;
        case 1:
            out[at] = (uint8_t)next();
            break;
        case 2: /* a length-like field made huge or zero */
            for (size_t k = at; k < at + 4 && k < n; k++)
                out[k] = next() % 2 ? 0xff : 0;
            break;
        case 3:
            n = at;
            break; /* truncate */
        case 4: {  /* splice the tail of another input */
            size_t from = b->size ? next() % b->size : 0;
            size_t len = b->size - from;
            if (at + len > cap)
                len = cap - at;
            memcpy(out + at, b->data + from, len);
            n = at + len;
            break;
        }
        default: /* repeat a chunk */
            if (at + 16 < n && n + 16 < cap) {
                memmove(out + at + 16, out + at, n - at);
                n += 16;
            }
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    double seconds = 10;
    rng = 0x9e3779b97f4a7c15ull;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc)
            break;
        if (!strcmp(argv[i], "-t"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-s"))
            rng = strtoull(argv[i + 1], NULL, 0) | 1;
    }
    for (; i < argc; i++)
        load(argv[i]);
    if (!ninputs) {
        fprintf(stderr, "fuzz_report_replay: no inputs\n");
        return 2;
    }
    for (size_t k = 0; k < ninputs; k++)
        LLVMFuzzerTestOneInput(inputs[k].data, inputs[k].size);
    size_t cap = 1 << 20, runs = ninputs;
    uint8_t *buf = malloc(cap);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (int k = 0; k < 64; k++, runs++) {
            const struct input *a = &inputs[next() % ninputs], *b = &inputs[next() % ninputs];
            size_t n = mutate(a, b, buf, cap);
            LLVMFuzzerTestOneInput(buf, n);
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
    printf("fuzz_report_replay: %zu inputs (%zu seeds) in %.0f s, no crash\n", runs, ninputs,
           seconds);
    free(buf);
    for (size_t k = 0; k < ninputs; k++)
        free(inputs[k].data);
    free(inputs);
    return 0;
}
