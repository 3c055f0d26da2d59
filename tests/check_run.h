/*
 * check_run.h — the one way mapscope's Check tests run their suite, so every
 * test prints Check's summary line and honours CK_VERBOSITY/CK_FORK.
 */
#ifndef MS_CHECK_RUN_H
#define MS_CHECK_RUN_H

#include <check.h>
#include <stddef.h>

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

/* Add to s the test case name of the n tests[], each run between setup and teardown
 * (Check's checked fixture: inside the test's own process); both may be NULL. */
static inline void ms_check_case(Suite *s, const char *name, SFun setup, SFun teardown,
                                 const TTest *const *tests, size_t n)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    for (size_t i = 0; i < n; i++)
        tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
}

#endif /* MS_CHECK_RUN_H */
