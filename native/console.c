#define _GNU_SOURCE
#include "console.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>

static int unix_addr(const char *path, struct sockaddr_un *a, berth_err *err) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof a->sun_path) return berth_failx(err, "socket path '%s' is longer than %zu bytes", path, sizeof a->sun_path - 1);
  strcpy(a->sun_path, path);
  return 0;
}

int console_connect(const char *path, berth_err *err) {
  struct sockaddr_un a;
  if (unix_addr(path, &a, err) < 0) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return berth_fail(err, "socket");
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    berth_fail(err, "connect to the console socket '%s'", path);
    close(fd);
    return -1;
  }
  return fd;
}

static int send_fd(int sock, int fd, const char *name, berth_err *err) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {(void *)name, strlen(name)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &m, MSG_NOSIGNAL) < 0) return berth_fail(err, "send the terminal on the console socket");
  return 0;
}

int console_setup(int sock, uid_t uid, berth_err *err) {
  cleanup_fd int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return berth_fail(err, "open '/dev/ptmx' in the container (is /dev/pts mounted?)");
  if (unlockpt(master) < 0) return berth_fail(err, "unlockpt");
  char name[64];
  if (ptsname_r(master, name, sizeof name) != 0) return berth_fail(err, "ptsname");
  int slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) return berth_fail(err, "open '%s'", name);
  /* The process may drop root: its terminal must stay its own (as runc chowns it). */
  if (fchown(slave, uid, (gid_t)-1) < 0) return berth_fail(err, "chown '%s'", name);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return berth_fail(err, "make '%s' the controlling terminal", name);
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) return berth_fail(err, "dup2 the terminal to fd %d", i);
  if (slave > 2) close(slave);
  if (send_fd(sock, master, name, err) < 0) return -1;
  close(sock);
  return 0;
}

int console_listen(const char *path, berth_err *err) {
  struct sockaddr_un a;
  if (unix_addr(path, &a, err) < 0) return -1;
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return berth_fail(err, "socket");
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
    berth_fail(err, "listen on '%s'", path);
    close(fd);
    return -1;
  }
  return fd;
}

int console_receive(int listen_fd, berth_err *err) {
  cleanup_fd int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) return berth_fail(err, "accept on the console socket");
  char data[256], cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {data, sizeof data};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n;
  while ((n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return berth_fail(err, "receive the terminal from the console socket");
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
    return berth_failx(err, "the runtime sent no terminal on the console socket");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}
