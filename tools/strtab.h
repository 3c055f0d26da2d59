/*
 * strtab.h — a string table built in two passes (collect every string,
 * then sort and deduplicate once; indices are found by binary search), as
 * pprof's profile.proto and the HTML page's compact data both need.  The
 * table points at the caller's strings; they must outlive it.
 */
#ifndef MS_STRTAB_H
#define MS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct ms_strtab {
    const char **v;
    size_t n, cap;
};

/* Collect s (NULL counts as ""). */
void ms_strtab_add(struct ms_strtab *t, const char *s);
/* Sort and deduplicate; "" is always there, at index 0. */
void ms_strtab_finish(struct ms_strtab *t);
/* Index of s (NULL: ""); s must have been added. */
int64_t ms_strtab_index(const struct ms_strtab *t, const char *s);
void ms_strtab_free(struct ms_strtab *t);

#endif /* MS_STRTAB_H */
