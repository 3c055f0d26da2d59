/*
 * json_write.c — the JSON pieces every structured output shares: the stack
 * representation of the documented schema (mapscope-report(1), "JSON
 * OUTPUT"); string escaping is common/text_out.c's, shared with the probe.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "pipeline.h"

void ms_json_stack(FILE *out, const struct ms_profile *p, const struct ms_pstack *s)
{
    struct ms_xframe *x;
    size_t n = ms_expand_stack(p, s, &x);
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        const struct ms_frame *fr = x[i].frame;
        const struct ms_sym *sym = fr->nsym ? &fr->sym[x[i].symi] : NULL;
        fputs(i ? ",{" : "{", out);
        fputs("\"function\":", out);
        ms_json_str(out, sym ? sym->function : NULL);
        fputs(",\"file\":", out);
        ms_json_str(out, sym ? sym->file : NULL);
        fprintf(out, ",\"line\":%d,\"module\":", sym ? sym->line : 0);
        ms_json_str(out, fr->module >= 0 ? p->modules.v[fr->module].path : NULL);
        fprintf(out, ",\"address\":\"0x%" PRIx64 "\",\"offset\":\"0x%" PRIx64 "\"", fr->address,
                fr->offset);
        fprintf(out, ",\"inlined\":%s}", x[i].inlined ? "true" : "false");
    }
    fputc(']', out);
    free(x);
}
