/*
 * out_html.c — `mapscope report --html FILE`: one self-contained page
 * (flame graphs of leaked, peak and allocated memory with zoom and search,
 * the heap over time, the leak and lingering tables, gomaps findings, the
 * profiler's own cost) that opens offline and can be attached to a ticket.
 *
 * The page is tools/report_template.html, compiled into the binary at
 * build time (report_template.c); the data is the --json document with
 * every stack (not only the top N), inserted at the template's marker.
 * ms_json_str escapes '<', so no input can close the <script> element.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "report.h"
#include "report_template.h"

#define MARKER "/*MAPSCOPE_DATA*/"

int ms_out_html(const char *path, const struct ms_profile *p, const struct ms_report_opts *o,
                const struct ms_findings *f)
{
    const char *tpl = (const char *)ms_report_template;
    const char *mark = strstr(tpl, MARKER);
    if (!mark) { /* a build problem, not a user one */
        fputs("mapscope report: internal error: HTML template has no data marker\n", stderr);
        return -1;
    }
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "mapscope report: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct ms_report_opts all = *o;
    all.top_given = false; /* the flame graph needs every stack */
    fwrite(tpl, 1, (size_t)(mark - tpl), out);
    ms_out_json(out, p, &all, f);
    fputs(mark + strlen(MARKER), out);
    int bad = ferror(out);
    bad |= fclose(out);
    if (bad) {
        fprintf(stderr, "mapscope report: writing %s failed\n", path);
        return -1;
    }
    return 0;
}
