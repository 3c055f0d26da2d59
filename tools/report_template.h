/*
 * report_template.h — the HTML page template, compiled in from
 * tools/report_template.html by a rule in tools/tools.am (NUL-terminated).
 */
#ifndef MS_REPORT_TEMPLATE_H
#define MS_REPORT_TEMPLATE_H

extern const unsigned char ms_report_template[];

#endif /* MS_REPORT_TEMPLATE_H */
