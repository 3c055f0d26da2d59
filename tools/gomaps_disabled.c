/*
 * gomaps_disabled.c — `mapscope gomaps` in a build without the eBPF probe.
 *
 * configure leaves the probe out when libbpf, clang or bpftool is missing
 * (or with --disable-probe); the command then says so and how to get it.
 */
#include <stdio.h>
#include "commands.h"

int ms_cmd_gomaps(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mapscope gomaps: this mapscope was built without the eBPF probe "
                    "(install libbpf-dev, clang and bpftool, then re-run configure)\n");
    return MS_EXIT_UNSUPPORTED;
}
