#include "engine/tcp/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace te::engine::tcp {
namespace {

int msUntil(Deadline deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000));
}

Status waitFd(int fd, short events, Deadline deadline, const char* what) {
  while (true) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, msUntil(deadline));
    if (rc > 0) return Status::ok();
    if (rc < 0 && errno != EINTR) return errnoStatus(std::string("poll (") + what + ")", errno);
    if (Clock::now() >= deadline) return deadlineExceeded(std::string(what) + ": timed out");
  }
}

}  // namespace

Status setNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errnoStatus("fcntl(O_NONBLOCK)", errno);
  return Status::ok();
}

void setNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Result<Fd> listenAny(uint16_t* port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errnoStatus("socket", errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return errnoStatus("bind", errno);
  if (::listen(fd.get(), SOMAXCONN) != 0) return errnoStatus("listen", errno);
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return errnoStatus("getsockname", errno);
  }
  *port = ntohs(addr.sin_port);
  TE_RETURN_IF_ERROR(setNonBlocking(fd.get()));
  return fd;
}

Result<std::vector<uint32_t>> localAddresses(const std::string& interface) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return errnoStatus("getifaddrs", errno);
  std::vector<uint32_t> external, loopback;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
    if (!interface.empty() && interface != i->ifa_name) continue;
    uint32_t a = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr;
    ((i->ifa_flags & IFF_LOOPBACK) ? loopback : external).push_back(a);
  }
  ::freeifaddrs(list);
  if (!interface.empty() && external.empty() && loopback.empty()) {
    return invalidArgument("--tcp-interface " + interface + ": no IPv4 address on that interface");
  }
  external.insert(external.end(), loopback.begin(), loopback.end());
  return external;
}

std::string ipv4ToString(uint32_t addr_be) {
  char buf[INET_ADDRSTRLEN] = {0};
  in_addr a{addr_be};
  ::inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

Result<Fd> connectAny(const std::vector<uint32_t>& addrs_be, uint16_t port, Deadline deadline,
                      std::string* used) {
  std::string errors;
  for (uint32_t a : addrs_be) {
    // Each address gets a slice of the time left, so one black-holed address cannot use it all.
    Deadline attempt = std::min(deadline, Clock::now() + std::chrono::seconds(5));
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return errnoStatus("socket", errno);
    TE_RETURN_IF_ERROR(setNonBlocking(fd.get()));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = a;
    addr.sin_port = htons(port);
    int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    std::string where = ipv4ToString(a) + ":" + std::to_string(port);
    if (rc != 0 && errno != EINPROGRESS) {
      errors += (errors.empty() ? "" : "; ") + where + " " + std::strerror(errno);
      continue;
    }
    if (rc != 0) {
      Status s = waitFd(fd.get(), POLLOUT, attempt, "connect");
      int err = 0;
      socklen_t len = sizeof(err);
      if (s.isOk()) ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (!s.isOk() || err != 0) {
        errors += (errors.empty() ? "" : "; ") + where + " " + (s.isOk() ? std::strerror(err) : s.message());
        continue;
      }
    }
    setNoDelay(fd.get());
    if (used) *used = where;
    return fd;
  }
  return unavailable("connect failed (" + errors + ")");
}

Result<Fd> acceptWithDeadline(int listen_fd, Deadline deadline) {
  while (true) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      setNoDelay(fd);
      return Fd(fd);
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return errnoStatus("accept", errno);
    TE_RETURN_IF_ERROR(waitFd(listen_fd, POLLIN, deadline, "accept"));
  }
}

Status sendAll(int fd, const void* data, size_t len, Deadline deadline) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (len > 0) {
    ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      len -= static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      TE_RETURN_IF_ERROR(waitFd(fd, POLLOUT, deadline, "send"));
    } else {
      return errnoStatus("send", errno);
    }
  }
  return Status::ok();
}

Status recvAll(int fd, void* data, size_t len, Deadline deadline) {
  auto* p = static_cast<uint8_t*>(data);
  while (len > 0) {
    ssize_t n = ::recv(fd, p, len, 0);
    if (n > 0) {
      p += n;
      len -= static_cast<size_t>(n);
    } else if (n == 0) {
      return unavailable("connection closed by peer");
    } else if (errno == EAGAIN || errno == EINTR) {
      TE_RETURN_IF_ERROR(waitFd(fd, POLLIN, deadline, "recv"));
    } else {
      return errnoStatus("recv", errno);
    }
  }
  return Status::ok();
}

}  // namespace te::engine::tcp
