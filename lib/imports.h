/*
 * imports.h — pointing a privately loaded library's imports at our functions (imports.c).
 */
#ifndef MS_IMPORTS_H
#define MS_IMPORTS_H

#pragma GCC visibility push(hidden)

/* One import of a privately loaded library, and what it should call. */
struct ms_import {
    const char *name;
    void *fn;
};
/* Point handle's imports named in subs at their replacements; returns the
 * number of slots rewritten. */
unsigned ms_imports_redirect(void *handle, const struct ms_import *subs, unsigned nsubs);

#pragma GCC visibility pop

#endif /* MS_IMPORTS_H */
