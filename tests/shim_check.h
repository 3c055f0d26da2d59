/*
 * shim_check.h — the one way the shim's Check tests run their suite.
 */
#ifndef MS_SHIM_CHECK_H
#define MS_SHIM_CHECK_H

#include <check.h>

/* Run every test of s (each in its own process unless nofork, so each
 * starts with fresh shim state) and return the exit status. */
static inline int ms_check_run(Suite *s, int nofork)
{
    SRunner *sr = srunner_create(s);
    if (nofork)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif /* MS_SHIM_CHECK_H */
