/* berth-monitor --serve SOCKET PADDING: a long-lived parent for the containers' monitors. Starting a
 * program from the daemon costs it a fork of its whole address space (Node's spawn blocked its
 * event loop 25 ms a start here) and an exec; this small process forks the monitor for each request
 * on its unix socket instead, without an exec, and returns what the monitor reports. */
#ifndef BERTH_MONITOR_SERVE_H
#define BERTH_MONITOR_SERVE_H
/* own: this program's argv (berth-monitor --serve SOCKET PADDING); PADDING is room in which each
 * forked monitor shows its own arguments as its command line. */
int monitor_serve(char **own, int (*monitor_main)(int, char **));
#endif
