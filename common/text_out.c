/*
 * text_out.c — JSON string literals and byte sizes, for the probe and the
 * report alike (see text_out.h).
 */
#include "config.h"

#include <inttypes.h>

#include "text_out.h"

void ms_json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '<':
            /* "</script>" or "<!--" inside a string must not end or change
             * the HTML element the JSON is embedded in. */
            fputs("\\u003c", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out); /* UTF-8 passes through; invalid bytes too */
        }
    }
    fputc('"', out);
}

char *ms_fmt_size(char *buf, size_t len, uint64_t bytes, enum ms_size_style style)
{
    static const char *const iec[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    static const char *const tag[] = {"", "K", "M"};
    /* Rounded sizes stay in bytes up to 10 KiB: "5000 B" reads better than "4.9 KiB"
     * in a sentence.  Only the IEC style goes past MiB (Go maps and their tables
     * are shown in MiB however large). */
    uint64_t first = style == MS_SIZE_ROUND ? 10u << 10 : 1024;
    int top = style == MS_SIZE_IEC ? 6 : 2, u = 0;
    double v = (double)bytes; /* divisions by 1024 are exact: no rounding drift */
    if (bytes >= first)
        while (v >= 1024.0 && u < top) {
            v /= 1024.0;
            u++;
        }
    if (u == 0) {
        snprintf(buf, len, style == MS_SIZE_TAG ? "%" PRIu64 : "%" PRIu64 " B", bytes);
        return buf;
    }
    int decimals = style == MS_SIZE_IEC ? 1 : style == MS_SIZE_TAG ? u >= 2 : v < 10.0;
    snprintf(buf, len, "%.*f%s%s", decimals, v, style == MS_SIZE_TAG ? "" : " ",
             style == MS_SIZE_TAG ? tag[u] : iec[u]);
    return buf;
}
