/*
 * mapscope.c — entry point of the mapscope command: picks the subcommand.
 *
 * Kept to dispatch only, so each subcommand lives in its own file with its
 * own options (git-style), and `mapscope help CMD` / `mapscope CMD --help`
 * both work.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"run", ms_cmd_run, "run a program under the allocation profiler and write dumps"},
    {"report", ms_cmd_report,
     "turn dumps (and gomaps findings) into text, JSON, flame graphs, pprof, HTML"},
    {"gomaps", ms_cmd_gomaps,
     "find lingering, bloated and oversized maps in a running Go process (eBPF)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: mapscope <command> [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'mapscope <command> --help' describes a command; see also mapscope(1).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return MS_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("mapscope %s\n", PACKAGE_VERSION);
        return MS_EXIT_OK;
    }
    if (!strcmp(name, "help") && argc > 2) {
        /* `mapscope help report` == `mapscope report --help` */
        char *sub[] = {argv[2], "--help", NULL};
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(commands[i].name, argv[2]))
                return commands[i].fn(2, sub);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr,
            "mapscope: unknown command '%s' (accepted: run, report, gomaps, help, version)\n",
            name);
    return MS_EXIT_USAGE;
}
