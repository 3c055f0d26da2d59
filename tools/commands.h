/*
 * commands.h — the subcommands of the mapscope command.
 *
 * tools/mapscope.c dispatches argv[1] to one of these.  Each returns the
 * process exit status and owns its own option parsing and --help.
 */
#ifndef MS_COMMANDS_H
#define MS_COMMANDS_H

/* Exit statuses shared by every subcommand (documented in mapscope(1)). */
enum {
    MS_EXIT_OK = 0,
    MS_EXIT_FAILURE = 1,     /* runtime failure (file unreadable, target gone, ...) */
    MS_EXIT_USAGE = 2,       /* bad command line */
    MS_EXIT_LEAKS = 3,       /* report --fail-on-leak: unsuppressed leaks over the limit */
    MS_EXIT_PARTIAL = 4,     /* report: some input damaged; results are from the intact part */
    MS_EXIT_NOPERM = 5,      /* gomaps: missing privileges / capabilities */
    MS_EXIT_UNSUPPORTED = 6, /* gomaps: not a Go binary, unsupported Go version, no BPF */
};

int ms_cmd_run(int argc, char **argv);
int ms_cmd_report(int argc, char **argv);
int ms_cmd_gomaps(int argc, char **argv);

#endif /* MS_COMMANDS_H */
