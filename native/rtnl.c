/* rtnetlink requests, built as iproute2 builds them (see rtnl.h). */
#define _GNU_SOURCE
#include "rtnl.h"
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IFLA_BRPORT_MODE
#define IFLA_BRPORT_MODE 4
#endif

typedef struct {
  union {
    struct nlmsghdr h;
    char raw[2048];
  } u;
} nlreq;

static void *req_init(nlreq *r, uint16_t type, uint16_t flags, size_t hdrlen) {
  memset(r, 0, sizeof *r);
  r->u.h.nlmsg_len = NLMSG_LENGTH(hdrlen);
  r->u.h.nlmsg_type = type;
  r->u.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  return NLMSG_DATA(&r->u.h);
}

static struct rtattr *req_attr(nlreq *r, uint16_t type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)((char *)&r->u.h + NLMSG_ALIGN(r->u.h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->u.h.nlmsg_len = NLMSG_ALIGN(r->u.h.nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}

static struct rtattr *req_nest(nlreq *r, uint16_t type) { return req_attr(r, type, NULL, 0); }

static void req_nest_end(nlreq *r, struct rtattr *nest) { nest->rta_len = (unsigned short)((char *)&r->u.h + r->u.h.nlmsg_len - (char *)nest); }

int rtnl_open(rtnl *nl, berth_err *err) {
  nl->seq = 0;
  nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl->fd < 0) return berth_fail(err, "socket(NETLINK_ROUTE)");
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(nl->fd, (struct sockaddr *)&sa, sizeof sa) < 0) return berth_fail(err, "bind(NETLINK_ROUTE)");
  return 0;
}

void rtnl_close(rtnl *nl) {
  if (nl->fd >= 0) close(nl->fd);
  nl->fd = -1;
}

/* Sends the request and waits for its acknowledgement; the kernel's error in iproute2's words. */
static int talk(rtnl *nl, nlreq *r, berth_err *err) {
  r->u.h.nlmsg_seq = ++nl->seq;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  if (sendto(nl->fd, &r->u.h, r->u.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) return berth_fail(err, "sendto(NETLINK_ROUTE)");
  char buf[8192];
  for (;;) {
    ssize_t n = recv(nl->fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return berth_fail(err, "recv(NETLINK_ROUTE)");
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != nl->seq || h->nlmsg_type != NLMSG_ERROR) continue;
      const struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error == 0) return 0;
      errno = -e->error;
      return berth_fail(err, "RTNETLINK answers");
    }
  }
}

int rtnl_index(const char *name, berth_err *err) {
  unsigned i = if_nametoindex(name);
  if (i == 0) {
    errno = 0;
    return berth_failx(err, "Cannot find device \"%s\"", name);
  }
  return (int)i;
}

static int set_link(rtnl *nl, int index, unsigned change, unsigned flags, berth_err *err) {
  nlreq r;
  struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_change = change;
  ifi->ifi_flags = flags;
  return talk(nl, &r, err);
}

int rtnl_link_up(rtnl *nl, int index, berth_err *err) { return set_link(nl, index, IFF_UP, IFF_UP, err); }

int rtnl_link_del(rtnl *nl, int index, berth_err *err) {
  nlreq r;
  struct ifinfomsg *ifi = req_init(&r, RTM_DELLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return talk(nl, &r, err);
}

int rtnl_veth_add(rtnl *nl, const char *name, const uint8_t mac[6], unsigned mtu, const char *peer, const uint8_t peer_mac[6], int peer_netns_fd, berth_err *err) {
  nlreq r;
  struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  req_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  req_attr(&r, IFLA_ADDRESS, mac, 6);
  if (mtu) req_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  struct rtattr *info = req_nest(&r, IFLA_LINKINFO);
  req_attr(&r, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = req_nest(&r, IFLA_INFO_DATA);
  struct rtattr *p = req_nest(&r, VETH_INFO_PEER);
  /* The peer's attributes follow an ifinfomsg of their own. */
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  r.u.h.nlmsg_len += NLMSG_ALIGN(sizeof peer_ifi);
  memcpy(RTA_DATA(p), &peer_ifi, sizeof peer_ifi);
  req_attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
  req_attr(&r, IFLA_ADDRESS, peer_mac, 6);
  uint32_t fd = (uint32_t)peer_netns_fd;
  req_attr(&r, IFLA_NET_NS_FD, &fd, sizeof fd);
  req_nest_end(&r, p);
  req_nest_end(&r, data);
  req_nest_end(&r, info);
  return talk(nl, &r, err);
}

int rtnl_addr_add(rtnl *nl, int index, struct in_addr addr, unsigned prefix, berth_err *err) {
  nlreq r;
  struct ifaddrmsg *ifa = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_index = (unsigned)index;
  /* As `ip addr add A/P dev D`: local and address both A, no broadcast. */
  req_attr(&r, IFA_LOCAL, &addr, sizeof addr);
  req_attr(&r, IFA_ADDRESS, &addr, sizeof addr);
  return talk(nl, &r, err);
}

int rtnl_route_add(rtnl *nl, int index, struct in_addr dst, unsigned dst_len, struct in_addr gw, berth_err *err) {
  nlreq r;
  struct rtmsg *rt = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = (unsigned char)dst_len;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  if (dst_len) req_attr(&r, RTA_DST, &dst, sizeof dst);
  req_attr(&r, RTA_GATEWAY, &gw, sizeof gw);
  uint32_t oif = (uint32_t)index;
  req_attr(&r, RTA_OIF, &oif, sizeof oif);
  return talk(nl, &r, err);
}

int rtnl_set_master(rtnl *nl, int index, int master, berth_err *err) {
  nlreq r;
  struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  uint32_t m = (uint32_t)master;
  req_attr(&r, IFLA_MASTER, &m, sizeof m);
  return talk(nl, &r, err);
}

int rtnl_set_hairpin(rtnl *nl, int index, berth_err *err) {
  nlreq r;
  struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  struct rtattr *info = req_nest(&r, IFLA_LINKINFO);
  req_attr(&r, IFLA_INFO_SLAVE_KIND, "bridge", 6);
  struct rtattr *data = req_nest(&r, IFLA_INFO_SLAVE_DATA);
  uint8_t on = 1;
  req_attr(&r, IFLA_BRPORT_MODE, &on, sizeof on);
  req_nest_end(&r, data);
  req_nest_end(&r, info);
  return talk(nl, &r, err);
}
