/* Namespaces: the flags of the new ones a container's init is cloned with, setns(2) into the ones
 * the config names by path (e.g. the network namespace the network manager made), and entering all
 * of a running container's namespaces for exec. */
#ifndef BERTH_NS_H
#define BERTH_NS_H
#include <sys/types.h>
#include "error.h"
#include "spec.h"

/* CLONE_NEW* of every namespace in the config without a path. */
int ns_clone_flags(const spec *s);
/* Joins every namespace the config gives a path for (before the clone: the init inherits them). */
int ns_join_paths(const spec *s, berth_err *err);
/* Joins the namespaces of process pid (mount, then user, last); the pid namespace applies to children. */
int ns_enter(pid_t pid, berth_err *err);
#endif
