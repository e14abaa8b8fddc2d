/* berth-netns: a container's network namespace and veth in one process, by rtnetlink (rtnl.c),
 * where the daemon ran unshare + ip for the namespace and sh + nsenter + ip + ip for the veth: six
 * programs started per container (each 5–30 ms on this 2-core host under load) become two. What it
 * makes is what those commands made, request for request (engine/network/bridge-native.ts says why
 * it is the CNI bridge plugin's result).
 *
 *   berth-netns create PATH
 *       a new network namespace pinned on the existing empty file PATH (a bind mount of
 *       /proc/self/ns/net, as `unshare --net=PATH` and `ip netns add` pin it), its loopback up.
 *   berth-netns veth NETNS IFNAME MAC HOSTIF HOSTMAC ADDR/PREFIX BRIDGE [mtu N] [hairpin] [route DST/LEN GW]…
 *       in NETNS: the veth IFNAME (MAC) with its peer HOSTIF (HOSTMAC) in this namespace, IPv6 off on
 *       it, ADDR on it, up, the routes through GW; here: HOSTIF a port of BRIDGE (hairpin on if asked), up.
 *   berth-netns port HOSTIF BRIDGE [hairpin]
 *       veth's host side alone (again, after the bridge was made anew).
 *   berth-netns remove PATH
 *       the namespace unpinned (every mount on PATH undone, lazily when busy) and PATH removed.
 *   berth-netns del IFNAME [NETNS]
 *       the device IFNAME (of NETNS when given) and so its veth peer.
 * The program is netns-main.c; berth-spawner runs the same commands as its builtin `netns` in a fork
 * of itself (spawner.c), without an exec.
 * Errors go to stderr in iproute2's words (`Cannot find device "x"`, `RTNETLINK answers: File
 * exists`); exit 1. Nothing is undone on failure: the daemon deletes the host end (DEL), and the
 * namespace goes with its file. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include "error.h"
#include "netns-helper.h"
#include "rtnl.h"

static int parse_mac(const char *s, uint8_t mac[6], berth_err *err) {
  char end;
  if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%c", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5], &end) != 6) return berth_failx(err, "invalid MAC address \"%s\"", s);
  return 0;
}

static int parse_cidr(const char *s, struct in_addr *addr, unsigned *prefix, berth_err *err) {
  char ip[INET_ADDRSTRLEN];
  const char *slash = strchr(s, '/');
  char *end = NULL;
  if (!slash || (size_t)(slash - s) >= sizeof ip) return berth_failx(err, "invalid prefix \"%s\"", s);
  memcpy(ip, s, (size_t)(slash - s));
  ip[slash - s] = 0;
  unsigned long p = strtoul(slash + 1, &end, 10);
  if (inet_pton(AF_INET, ip, addr) != 1 || *end || p > 32) return berth_failx(err, "invalid prefix \"%s\"", s);
  *prefix = (unsigned)p;
  return 0;
}

static int parse_ip(const char *s, struct in_addr *addr, berth_err *err) {
  if (inet_pton(AF_INET, s, addr) != 1) return berth_failx(err, "invalid address \"%s\"", s);
  return 0;
}

static int enter(const char *path, berth_err *err) {
  cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return berth_fail(err, "open '%s'", path);
  if (setns(fd, CLONE_NEWNET) < 0) return berth_fail(err, "setns '%s'", path);
  return 0;
}

static int cmd_create(const char *path, berth_err *err) {
  if (unshare(CLONE_NEWNET) < 0) return berth_fail(err, "unshare(CLONE_NEWNET)");
  if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0) return berth_fail(err, "mount --bind /proc/self/ns/net '%s'", path);
  rtnl nl = {.fd = -1};
  int lo = rtnl_index("lo", err);
  int rc = lo < 0 ? -1 : rtnl_open(&nl, err);
  if (rc == 0) rc = rtnl_link_up(&nl, lo, err);
  rtnl_close(&nl);
  return rc;
}

typedef struct {
  const char *netns, *ifname, *hostif, *bridge;
  uint8_t mac[6], host_mac[6];
  struct in_addr addr;
  unsigned prefix, mtu;
  int hairpin;
  size_t nroutes;
  struct {
    struct in_addr dst, gw;
    unsigned len;
  } routes[16];
} veth_args;

static int parse_veth(int argc, char **argv, veth_args *a, berth_err *err) {
  if (argc < 7) return berth_failx(err, "usage: berth-netns veth NETNS IFNAME MAC HOSTIF HOSTMAC ADDR/PREFIX BRIDGE [mtu N] [hairpin] [route DST/LEN GW]...");
  a->netns = argv[0], a->ifname = argv[1], a->hostif = argv[3], a->bridge = argv[6];
  if (parse_mac(argv[2], a->mac, err) < 0 || parse_mac(argv[4], a->host_mac, err) < 0 || parse_cidr(argv[5], &a->addr, &a->prefix, err) < 0) return -1;
  for (int i = 7; i < argc; i++) {
    if (strcmp(argv[i], "hairpin") == 0) a->hairpin = 1;
    else if (strcmp(argv[i], "mtu") == 0 && i + 1 < argc) a->mtu = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "route") == 0 && i + 2 < argc && a->nroutes < sizeof a->routes / sizeof a->routes[0]) {
      if (parse_cidr(argv[i + 1], &a->routes[a->nroutes].dst, &a->routes[a->nroutes].len, err) < 0 || parse_ip(argv[i + 2], &a->routes[a->nroutes].gw, err) < 0) return -1;
      a->nroutes++, i += 2;
    } else return berth_failx(err, "unknown argument \"%s\"", argv[i]);
  }
  return 0;
}

/* The host's side: HOSTIF a port of BRIDGE, hairpin on if asked, up. */
static int cmd_port(const char *hostif, const char *bridge, int hairpin, berth_err *err) {
  rtnl nl = {.fd = -1};
  if (rtnl_open(&nl, err) < 0) return -1;
  int br = rtnl_index(bridge, err);
  int port = br < 0 ? -1 : rtnl_index(hostif, err);
  int rc = port < 0 ? -1 : rtnl_set_master(&nl, port, br, err);
  if (rc == 0 && hairpin) rc = rtnl_set_hairpin(&nl, port, err);
  if (rc == 0) rc = rtnl_link_up(&nl, port, err);
  rtnl_close(&nl);
  return rc;
}

/* IPv6 off on the container's interface, before it is up: berth's networks are IPv4 only, and Docker
 * (26.0.2 on, GHSA-x84c-p2g9-rqv9) disables IPv6 on an endpoint of such a network, so that it has no
 * link-local address, joins no multicast group and takes no router's advertisement. It also spares
 * the bridge the interface's duplicate address detection, router solicitation and MLD packets, which
 * the bridge floods to every other port: work for kernel workers that grew with the square of the
 * containers on a network (perf: IPv6 address and MLD work ~5 % of the host's CPU in an apply of
 * 200). /proc/sys/net is the namespace of the caller (entered here). A kernel without IPv6 has no
 * such file: nothing to do. */
static int ipv6_off(const char *ifname, berth_err *err) {
  char path[96];
  snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
  cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : berth_fail(err, "open '%s'", path);
  if (write(fd, "1", 1) != 1) return berth_fail(err, "write '%s'", path);
  return 0;
}

static int cmd_veth(const veth_args *a, berth_err *err) {
  cleanup_fd int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host < 0) return berth_fail(err, "open /proc/self/ns/net");
  rtnl nl = {.fd = -1};
  int rc = enter(a->netns, err);
  /* The container's side, with a socket of its namespace. */
  if (rc == 0) rc = rtnl_open(&nl, err);
  if (rc == 0) rc = rtnl_veth_add(&nl, a->ifname, a->mac, a->mtu, a->hostif, a->host_mac, host, err);
  if (rc == 0) rc = ipv6_off(a->ifname, err);
  int inner = rc < 0 ? -1 : rtnl_index(a->ifname, err);
  rc = inner < 0 ? -1 : rtnl_addr_add(&nl, inner, a->addr, a->prefix, err);
  if (rc == 0) rc = rtnl_link_up(&nl, inner, err);
  for (size_t i = 0; rc == 0 && i < a->nroutes; i++) rc = rtnl_route_add(&nl, inner, a->routes[i].dst, a->routes[i].len, a->routes[i].gw, err);
  rtnl_close(&nl);
  if (rc < 0) return rc;
  if (setns(host, CLONE_NEWNET) < 0) return berth_fail(err, "setns (back to the host's namespace)");
  return cmd_port(a->hostif, a->bridge, a->hairpin, err);
}

/* Unpins a namespace: every mount on PATH undone (lazily when busy), then the file removed. */
static int cmd_remove(const char *path, berth_err *err) {
  for (int i = 0; i < 8; i++) {
    if (umount2(path, UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EBUSY && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break; /* not (or no longer) a mount point */
    return berth_fail(err, "umount '%s'", path);
  }
  if (unlink(path) < 0 && errno != ENOENT) return berth_fail(err, "unlink '%s'", path);
  return 0;
}

static int cmd_del(const char *ifname, const char *netns, berth_err *err) {
  if (netns && enter(netns, err) < 0) return -1;
  rtnl nl = {.fd = -1};
  int idx = rtnl_index(ifname, err);
  int rc = idx < 0 ? -1 : rtnl_open(&nl, err);
  if (rc == 0) rc = rtnl_link_del(&nl, idx, err);
  rtnl_close(&nl);
  return rc;
}

int berth_netns_main(int argc, char **argv) {
  berth_err err = {{0}};
  int rc;
  if (argc == 3 && strcmp(argv[1], "create") == 0) rc = cmd_create(argv[2], &err);
  else if (argc >= 2 && strcmp(argv[1], "veth") == 0) {
    veth_args a = {0};
    rc = parse_veth(argc - 2, argv + 2, &a, &err);
    if (rc == 0) rc = cmd_veth(&a, &err);
  } else if ((argc == 4 || (argc == 5 && strcmp(argv[4], "hairpin") == 0)) && strcmp(argv[1], "port") == 0) rc = cmd_port(argv[2], argv[3], argc == 5, &err);
  else if (argc == 3 && strcmp(argv[1], "remove") == 0) rc = cmd_remove(argv[2], &err);
  else if ((argc == 3 || argc == 4) && strcmp(argv[1], "del") == 0) rc = cmd_del(argv[2], argc == 4 ? argv[3] : NULL, &err);
  else rc = berth_failx(&err, "usage: berth-netns create PATH | veth NETNS IFNAME MAC HOSTIF HOSTMAC ADDR/PREFIX BRIDGE [mtu N] [hairpin] [route DST/LEN GW]... | port HOSTIF BRIDGE [hairpin] | del IFNAME [NETNS] | remove PATH");
  if (rc < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  return 0;
}
