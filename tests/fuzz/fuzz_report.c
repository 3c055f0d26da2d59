/*
 * fuzz_report.c — fuzz target for everything in the report that reads
 * untrusted bytes: the dump reader and, behind it, merge, symbolization
 * (module paths, build-ids and addresses come from the input) and every
 * output; the gomaps findings reader; the suppressions parser.
 *
 * The input's first bytes choose: "MAPSCOPE" -> a dump; '{' -> findings
 * (JSON lines); anything else -> a suppressions file.  Built with libFuzzer
 * when clang is available, else linked with replay_main.c.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    return null;
}

static void dump_pipeline(const uint8_t *data, size_t size)
{
    struct ms_dump d = {0};
    if (ms_dump_parse("fuzz", data, size, &d) < 0) {
        ms_dump_free(&d);
        return;
    }
    struct ms_profile p = {0};
    struct ms_build_opts bo = {.sym = {.quiet = true}};
    ms_profile_build(&d, 1, &bo, &p);
    struct ms_report_opts ro = {.top = 5, .frames = 8};
    ms_out_text(sink(), &p, &ro, NULL, NULL);
    ms_out_json(sink(), &p, &ro, NULL);
    for (int m = 0; m < MS_M_COUNT; m++)
        ms_out_folded(sink(), &p, (enum ms_metric)m);
    ms_linger_filter(&p, 1000000000);
    ms_diff_text(sink(), &p, &p, &ro);
    ms_profile_free(&p);
    ms_dump_free(&d);
}

/* The parsers print one line per bad input line on stderr, as they
 * should; while fuzzing that is only noise, so stderr is pointed at
 * /dev/null around each input and restored (sanitizer reports come after
 * the restore or from a crash inside, where libFuzzer's own handler
 * prints to its saved descriptor). */
static int quiet_begin(void)
{
    fflush(stderr);
    int saved = dup(2);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 2);
        close(null);
    }
    return saved;
}

static void quiet_end(int saved)
{
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int saved = quiet_begin();
    if (size >= MS_DUMP_MAGIC_LEN && !memcmp(data, MS_DUMP_MAGIC, MS_DUMP_MAGIC_LEN)) {
        dump_pipeline(data, size);
    } else if (size && data[0] == '{') {
        struct ms_findings f = {0};
        ms_findings_parse("fuzz", (const char *)data, size, &f);
        ms_findings_free(&f);
    } else {
        char *text = malloc(size + 1);
        if (!text)
            return 0;
        memcpy(text, data, size);
        text[size] = 0;
        struct ms_supps s = {0};
        ms_supp_parse("fuzz", text, &s);
        ms_supp_free(&s);
        free(text);
    }
    quiet_end(saved);
    return 0;
}
