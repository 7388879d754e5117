#include "engine/tcp/tcp_worker.h"

#include "engine/memory/buffer.h"

#include "engine/request_check.h"

#include <poll.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace te::engine::tcp {

struct TcpWorker::Conn {
  Fd fd;
  int peer = -1;
  bool active = false;
  bool broken = false;
  StreamReader reader;
  struct Entry {
    Request request;
    Header header;
    uint64_t sent;  // bytes of header (+ payload for WRITE) sent
  };
  std::vector<Entry> ring;
  size_t head = 0;      // oldest request waiting for its reply
  size_t unsent = 0;    // index (from head) of the first request not fully sent
  size_t count = 0;     // requests in the ring
  // Reply being received (for the request at head).
  bool in_payload = false;
  uint8_t* dst = nullptr;
  uint64_t remaining = 0;
  uint16_t reply_status = 0;
};

TcpWorker::TcpWorker(int rank, const std::vector<RegionView>* local, const std::vector<PeerView>* peers,
                     uint32_t max_inflight)
    : rank_(rank), local_(local), peers_(peers), max_inflight_(max_inflight) {
  conns_.resize(peers->size());
  active_.reserve(peers->size());
}

TcpWorker::~TcpWorker() = default;

void TcpWorker::setConnection(int peer, Fd fd) {
  auto c = std::make_unique<Conn>();
  c->fd = std::move(fd);
  c->peer = peer;
  c->ring.resize(max_inflight_);
  conns_[peer] = std::move(c);
}

Status TcpWorker::validate(const Request& r) const {
  if (r.peer < 0 || r.peer >= static_cast<int>(conns_.size()) || !conns_[r.peer]) {
    return invalidArgument("tcp: request to rank " + std::to_string(r.peer) + ", which is not a connected peer");
  }
  const auto& regions = (*peers_)[r.peer].regions;
  return checkRequestRanges(
      "tcp", r, r.local_region < local_->size() ? std::optional((*local_)[r.local_region].length) : std::nullopt,
      r.remote_region < regions.size() ? std::optional(regions[r.remote_region].length) : std::nullopt,
      "rank " + std::to_string(r.peer) + " (" + (*peers_)[r.peer].hostname + ")");
}

void TcpWorker::activate(Conn& c) {
  if (!c.active) {
    c.active = true;
    active_.push_back(c.peer);
  }
}

Result<size_t> TcpWorker::post(std::span<const Request> requests) {
  size_t accepted = 0;
  Conn* last = nullptr;
  for (const Request& r : requests) {
    Status s = validate(r);
    if (!s.isOk()) {
      if (accepted == 0) return s;
      break;
    }
    Conn& c = *conns_[r.peer];
    if (c.broken) {
      if (accepted == 0) return error_.isOk() ? unavailable("tcp: connection to rank " + std::to_string(r.peer) + " is broken") : error_;
      break;
    }
    if (c.count == c.ring.size()) break;
    const RegionView& local = (*local_)[r.local_region];
    if (r.op == OpCode::kWrite && local.staged) {
      Status copied = local.staged->copyToHost(local.base + r.local_offset, r.local_offset, r.length);
      if (!copied.isOk()) {
        if (error_.isOk()) error_ = copied.withContext("tcp: staging a WRITE to rank " + std::to_string(r.peer));
        if (accepted == 0) return error_;
        break;
      }
    }
    Conn::Entry& e = c.ring[(c.head + c.count++) % c.ring.size()];
    e.request = r;
    e.header = Header{kMagic, static_cast<uint16_t>(r.op == OpCode::kWrite ? kWrite : kRead), 0,
                      r.remote_region, 0, r.remote_offset, r.length};
    e.sent = 0;
    activate(c);
    if (last && last != &c) sendSome(*last);
    last = &c;
    ++accepted;
  }
  if (last) sendSome(*last);
  if (accepted == 0) return tryAgain();
  return accepted;
}

bool TcpWorker::sendSome(Conn& c) {
  constexpr int kMaxIov = 64;
  while (c.unsent < c.count && !c.broken) {
    iovec iov[kMaxIov];
    int n = 0;
    for (size_t i = c.unsent; i < c.count && n + 2 <= kMaxIov; ++i) {
      Conn::Entry& e = c.ring[(c.head + i) % c.ring.size()];
      uint64_t sent = e.sent;
      if (sent < sizeof(Header)) {
        iov[n++] = {reinterpret_cast<uint8_t*>(&e.header) + sent, sizeof(Header) - sent};
        sent = 0;
      } else {
        sent -= sizeof(Header);
      }
      if (e.request.op == OpCode::kWrite && e.request.length > sent) {
        uint8_t* src = (*local_)[e.request.local_region].base + e.request.local_offset;
        iov[n++] = {src + sent, e.request.length - sent};
      }
    }
    ssize_t wrote = ::writev(c.fd.get(), iov, n);
    if (wrote < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
      markBroken(c, std::string("send: ") + std::strerror(errno));
      return false;
    }
    uint64_t left = static_cast<uint64_t>(wrote);
    while (left > 0 && c.unsent < c.count) {
      Conn::Entry& e = c.ring[(c.head + c.unsent) % c.ring.size()];
      uint64_t total = sizeof(Header) + (e.request.op == OpCode::kWrite ? e.request.length : 0);
      uint64_t take = std::min(left, total - e.sent);
      e.sent += take;
      left -= take;
      if (e.sent == total) ++c.unsent;
    }
  }
  return true;
}

size_t TcpWorker::receiveSome(Conn& c, std::span<Completion> out) {
  size_t done = 0;
  // Only requests fully sent can have replies.
  while (done < out.size() && c.unsent > 0) {
    Conn::Entry& e = c.ring[c.head];
    if (!c.in_payload) {
      Header h;
      StreamReader::Io io = c.reader.readHeader(c.fd.get(), &h);
      if (io == StreamReader::Io::kAgain) break;
      if (io != StreamReader::Io::kDone) {
        markBroken(c, io == StreamReader::Io::kClosed ? "connection closed by the peer"
                                                      : std::string("recv: ") + std::strerror(errno));
        break;
      }
      uint16_t want = e.request.op == OpCode::kWrite ? kWriteAck : kReadReply;
      if (h.magic != kMagic || h.op != want || h.offset != e.request.remote_offset) {
        markBroken(c, "malformed reply (protocol error)");
        break;
      }
      c.reply_status = h.status;
      c.in_payload = true;
      c.remaining = h.length;
      c.dst = (*local_)[e.request.local_region].base + e.request.local_offset;
      if (h.length != 0 && h.length != e.request.length) {
        markBroken(c, "reply length mismatch (protocol error)");
        break;
      }
    }
    StreamReader::Io io = c.reader.readPayload(c.fd.get(), &c.dst, &c.remaining);
    if (io == StreamReader::Io::kAgain) break;
    if (io != StreamReader::Io::kDone) {
      markBroken(c, io == StreamReader::Io::kClosed ? "connection closed by the peer"
                                                    : std::string("recv: ") + std::strerror(errno));
      break;
    }
    c.in_payload = false;
    Completion& comp = out[done++];
    comp.user_data = e.request.user_data;
    comp.code = c.reply_status == kWireOk ? StatusCode::kOk
                : c.reply_status == kWireStagingFailed ? StatusCode::kUnavailable
                                                       : StatusCode::kInvalidArgument;
    if (c.reply_status != kWireOk && error_.isOk()) {
      error_ = Status(comp.code, "tcp: rank " + std::to_string(c.peer) + " (" + (*peers_)[c.peer].hostname +
                                     ") rejected a request: " + wireStatusText(c.reply_status));
    }
    const RegionView& local = (*local_)[e.request.local_region];
    if (comp.code == StatusCode::kOk && e.request.op == OpCode::kRead && local.staged) {
      Status copied = local.staged->copyFromHost(e.request.local_offset, local.base + e.request.local_offset,
                                                 e.request.length);
      if (!copied.isOk()) {
        comp.code = StatusCode::kUnavailable;
        if (error_.isOk()) error_ = copied.withContext("tcp: staging a READ from rank " + std::to_string(c.peer));
      }
    }
    c.head = (c.head + 1) % c.ring.size();
    --c.count;
    --c.unsent;
  }
  return done;
}

void TcpWorker::markBroken(Conn& c, const std::string& why) {
  c.broken = true;
  if (error_.isOk()) {
    error_ = unavailable("tcp: rank " + std::to_string(c.peer) + " (" + (*peers_)[c.peer].hostname + "): " + why);
  }
}

size_t TcpWorker::failAll(Conn& c, std::span<Completion> out) {
  size_t done = 0;
  while (done < out.size() && c.count > 0) {
    out[done++] = Completion{c.ring[c.head].request.user_data, StatusCode::kUnavailable};
    c.head = (c.head + 1) % c.ring.size();
    --c.count;
  }
  c.unsent = std::min(c.unsent, c.count);
  return done;
}

size_t TcpWorker::poll(std::span<Completion> out) {
  size_t done = 0;
  for (size_t i = 0; i < active_.size();) {
    Conn& c = *conns_[active_[i]];
    if (!c.broken) sendSome(c);
    if (!c.broken) done += receiveSome(c, out.subspan(done));
    if (c.broken) done += failAll(c, out.subspan(done));
    if (c.count == 0) {
      c.active = false;
      active_[i] = active_.back();
      active_.pop_back();
    } else {
      ++i;
    }
    if (done == out.size()) break;
  }
  return done;
}

void TcpWorker::waitForProgress(std::chrono::microseconds max_wait) {
  pollfd fds[64];
  nfds_t n = 0;
  for (int peer : active_) {
    if (n == 64) break;
    Conn& c = *conns_[peer];
    if (c.broken) return;  // failures are ready to be reported
    if (c.reader.hasStaged()) return;
    fds[n++] = pollfd{c.fd.get(), static_cast<short>(POLLIN | (c.unsent < c.count ? POLLOUT : 0)), 0};
  }
  if (n == 0) {
    std::this_thread::sleep_for(max_wait);
    return;
  }
  timespec ts{static_cast<time_t>(max_wait.count() / 1000000),
              static_cast<long>(max_wait.count() % 1000000) * 1000};
  ::ppoll(fds, n, &ts, nullptr);
}

}  // namespace te::engine::tcp
