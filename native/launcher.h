/* berth-run's commands (launcher.c), as a function: the berth-run program (berth-run.c) and the
 * monitor's builtin launcher (monitor.c, --builtin-launcher) both call it. */
#ifndef BERTH_LAUNCHER_H
#define BERTH_LAUNCHER_H
int launcher_main(int argc, char **argv);
#endif
