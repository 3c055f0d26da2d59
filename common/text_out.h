/*
 * text_out.h — the text both the probe and the report print: JSON string
 * literals and byte sizes for people.
 *
 * The probe (probe/, `mapscope gomaps`) and the report (tools/) each wrote
 * their own; these are the one copy.  common/ sits below both (like format/,
 * it is compiled into each consumer) and depends on nothing of either, so
 * neither side reaches into the other for a helper.  No allocation.
 */
#ifndef MS_TEXT_OUT_H
#define MS_TEXT_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* JSON string literal (with quotes) of s, or null when s is NULL.  '<' is
 * escaped too, so the text can sit inside an HTML <script> (the report's
 * page embeds both its own JSON and the probe's findings). */
void ms_json_str(FILE *out, const char *s);

/* How a byte count is shown. */
enum ms_size_style {
    MS_SIZE_IEC,   /* "12.3 MiB", "1.0 KiB", "512 B": one decimal from KiB to EiB */
    MS_SIZE_ROUND, /* "36 MiB", "1.5 MiB", "853 KiB", "5000 B": no decimal from 10 on */
    MS_SIZE_TAG,   /* "36.0M", "853K", "512": narrow table columns, at most M */
};
/* bytes in style, into buf (len bytes); returns buf. */
char *ms_fmt_size(char *buf, size_t len, uint64_t bytes, enum ms_size_style style);

#endif /* MS_TEXT_OUT_H */
