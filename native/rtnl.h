/* The few rtnetlink requests a container's network needs (what `ip link/addr/route` send for them),
 * for berth-netns (netns-helper.c). One request at a time, each acknowledged. A socket talks to the
 * network namespace the process was in when it was opened. */
#ifndef BERTH_RTNL_H
#define BERTH_RTNL_H
#include <netinet/in.h>
#include <stdint.h>
#include "error.h"

typedef struct {
  int fd;
  uint32_t seq;
} rtnl;

int rtnl_open(rtnl *nl, berth_err *err);
void rtnl_close(rtnl *nl);

/* The index of device `name` in the current namespace; "Cannot find device" (iproute2's words) when none. */
int rtnl_index(const char *name, berth_err *err);

int rtnl_link_up(rtnl *nl, int index, berth_err *err);
int rtnl_link_del(rtnl *nl, int index, berth_err *err);
/* A veth pair: `name` here, its peer `peer` put straight into the namespace of `peer_netns_fd`. */
int rtnl_veth_add(rtnl *nl, const char *name, const uint8_t mac[6], unsigned mtu, const char *peer, const uint8_t peer_mac[6], int peer_netns_fd, berth_err *err);
int rtnl_addr_add(rtnl *nl, int index, struct in_addr addr, unsigned prefix, berth_err *err);
int rtnl_route_add(rtnl *nl, int index, struct in_addr dst, unsigned dst_len, struct in_addr gw, berth_err *err);
int rtnl_set_master(rtnl *nl, int index, int master, berth_err *err);
/* Hairpin mode on a bridge port (`ip link set dev X type bridge_slave hairpin on`). */
int rtnl_set_hairpin(rtnl *nl, int index, berth_err *err);

#endif
