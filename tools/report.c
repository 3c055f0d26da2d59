/* report.c — placeholder until the 'report' subcommand lands. */
#include <stdio.h>
#include "commands.h"
int ms_cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mapscope report: not implemented yet\n");
    return MS_EXIT_FAILURE;
}
