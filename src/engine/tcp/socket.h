// Socket plumbing for the TCP transport: an owned file descriptor, listen / connect with a
// deadline, the host's IPv4 addresses, and exact-length blocking I/O for the control path.
#pragma once

#include <netinet/in.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/collective.h"
#include "common/status.h"

namespace te::engine::tcp {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Listens on all interfaces, an ephemeral port. Returns the socket and sets *port.
Result<Fd> listenAny(uint16_t* port);

// IPv4 addresses of this host's interfaces that are up, non-loopback first, loopback last.
// With `interface` non-empty, only that interface's addresses (error if it has none).
Result<std::vector<uint32_t>> localAddresses(const std::string& interface);

std::string ipv4ToString(uint32_t addr_be);

// Connects to the first reachable address (non-blocking connect, per-attempt deadline).
Result<Fd> connectAny(const std::vector<uint32_t>& addrs_be, uint16_t port, Deadline deadline,
                      std::string* used);

Result<Fd> acceptWithDeadline(int listen_fd, Deadline deadline);

// Blocking exact-length I/O on a non-blocking socket, bounded by a deadline (control path).
Status sendAll(int fd, const void* data, size_t len, Deadline deadline);
Status recvAll(int fd, void* data, size_t len, Deadline deadline);

Status setNonBlocking(int fd);
void setNoDelay(int fd);

}  // namespace te::engine::tcp
