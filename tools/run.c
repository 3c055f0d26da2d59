/* run.c — placeholder until the 'run' subcommand lands. */
#include <stdio.h>
#include "commands.h"
int ms_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mapscope run: not implemented yet\n");
    return MS_EXIT_FAILURE;
}
