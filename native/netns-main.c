/* berth-netns: the program (netns-helper.c says what it does). */
#include "netns-helper.h"

int main(int argc, char **argv) { return berth_netns_main(argc, argv); }
