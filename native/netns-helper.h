/* berth-netns's commands (netns-helper.c), for its own main (netns-main.c) and berth-spawner's builtin. */
#ifndef BERTH_NETNS_HELPER_H
#define BERTH_NETNS_HELPER_H

/* Runs `berth-netns ARGS` (argv[0] the program's name): 0 when done, 1 with the error on stderr. */
int berth_netns_main(int argc, char **argv);

#endif
