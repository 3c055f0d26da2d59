/*
 * check_run.h — the one way mapscope's Check tests run their suite, so every
 * test prints Check's summary line and honours CK_VERBOSITY/CK_FORK.
 */
#ifndef MS_CHECK_RUN_H
#define MS_CHECK_RUN_H

#include <check.h>

/* Run every test of s (each in its own process unless nofork, so each
 * starts with fresh shim state) and return the exit status. */
static inline int ms_check_run(Suite *s, int nofork)
{
    SRunner *sr = srunner_create(s);
    if (nofork)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif /* MS_CHECK_RUN_H */
