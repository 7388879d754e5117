#include "engine/tcp/tcp_worker.h"

#include "engine/memory/buffer.h"

#include "engine/request_check.h"
#include "engine/worker/frame_ring.h"
#include "engine/worker/poll_set.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

namespace te::engine::tcp {

struct TcpWorker::Conn {
  explicit Conn(uint32_t max_inflight) : frames(max_inflight) {}

  Fd fd;
  int peer = -1;
  bool active = false;
  bool broken = false;
  StreamReader reader;
  // Requests (header, and the payload of a WRITE), oldest first, until their reply came
  // back; replies come in request order, for the requests sent whole.
  worker::FrameRing<Header, Request> frames;
  // Reply being received (for the oldest request).
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
  auto c = std::make_unique<Conn>(max_inflight_);
  c->fd = std::move(fd);
  c->peer = peer;
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
      (*peers_)[r.peer].label);
}

void TcpWorker::activate(Conn& c) {
  if (!c.active) {
    c.active = true;
    active_.push_back(c.peer);
  }
}

Result<size_t> TcpWorker::post(std::span<const Request> requests) {
  Conn* last = nullptr;
  Result<size_t> accepted = worker::acceptPrefix(requests, [&](const Request& r) { return offer(r, &last); });
  if (last) sendSome(*last);
  return accepted;
}

worker::Offer TcpWorker::offer(const Request& r, Conn** last) {
  Status s = validate(r);
  if (!s.isOk()) return worker::Offer::refused(std::move(s));
  Conn& c = *conns_[r.peer];
  if (c.broken) {
    return worker::Offer::refused(
        error_.isOk() ? unavailable("tcp: connection to rank " + std::to_string(r.peer) + " is broken") : error_);
  }
  if (c.frames.full()) return worker::Offer::noRoom();
  const RegionView& local = (*local_)[r.local_region];
  const bool write = r.op == OpCode::kWrite;
  if (write && local.staged) {
    Status copied = local.staged->copyToHost(local.base + r.local_offset, r.local_offset, r.length);
    if (!copied.isOk()) {
      if (error_.isOk()) error_ = copied.withContext("tcp: staging a WRITE to rank " + std::to_string(r.peer));
      return worker::Offer::refused(error_);
    }
  }
  const Header h{kMagic, static_cast<uint16_t>(write ? kWrite : kRead), 0, r.remote_region, 0, r.remote_offset, r.length};
  c.frames.push(h, write ? local.base + r.local_offset : nullptr, write ? r.length : 0).tag = r;
  activate(c);
  if (*last && *last != &c) sendSome(**last);
  *last = &c;
  return worker::Offer::taken();
}

void TcpWorker::sendSome(Conn& c) {
  if (c.broken) return;
  if (int err = c.frames.send(c.fd.get())) markBroken(c, std::string("send: ") + std::strerror(err));
}

size_t TcpWorker::receiveSome(Conn& c, std::span<Completion> out) {
  size_t done = 0;
  // Only requests sent whole can have replies.
  while (done < out.size() && c.frames.sentCount() > 0) {
    const Request& req = c.frames.front().tag;
    if (!c.in_payload) {
      Header h;
      StreamReader::Io io = c.reader.readHeader(c.fd.get(), &h);
      if (io == StreamReader::Io::kAgain) break;
      if (io != StreamReader::Io::kDone) {
        markBroken(c, io == StreamReader::Io::kClosed ? "connection closed by the peer"
                                                      : std::string("recv: ") + std::strerror(errno));
        break;
      }
      uint16_t want = req.op == OpCode::kWrite ? kWriteAck : kReadReply;
      if (h.magic != kMagic || h.op != want || h.offset != req.remote_offset) {
        markBroken(c, "malformed reply (protocol error)");
        break;
      }
      c.reply_status = h.status;
      c.in_payload = true;
      c.remaining = h.length;
      c.dst = (*local_)[req.local_region].base + req.local_offset;
      if (h.length != 0 && h.length != req.length) {
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
    comp.user_data = req.user_data;
    comp.code = c.reply_status == kWireOk ? StatusCode::kOk
                : c.reply_status == kWireStagingFailed ? StatusCode::kUnavailable
                                                       : StatusCode::kInvalidArgument;
    if (c.reply_status != kWireOk && error_.isOk()) {
      error_ = Status(comp.code, "tcp: " + (*peers_)[c.peer].label + " rejected a request: " +
                                     wireStatusText(c.reply_status));
    }
    const RegionView& local = (*local_)[req.local_region];
    if (comp.code == StatusCode::kOk && req.op == OpCode::kRead && local.staged) {
      Status copied = local.staged->copyFromHost(req.local_offset, local.base + req.local_offset,
                                                 req.length);
      if (!copied.isOk()) {
        comp.code = StatusCode::kUnavailable;
        if (error_.isOk()) error_ = copied.withContext("tcp: staging a READ from rank " + std::to_string(c.peer));
      }
    }
    c.frames.pop();
  }
  return done;
}

void TcpWorker::markBroken(Conn& c, const std::string& why) {
  c.broken = true;
  if (error_.isOk()) {
    error_ = unavailable("tcp: " + (*peers_)[c.peer].label + ": " + why);
  }
}

size_t TcpWorker::failAll(Conn& c, std::span<Completion> out) {
  size_t done = 0;
  while (done < out.size() && !c.frames.empty()) {
    out[done++] = Completion{c.frames.front().tag.user_data, StatusCode::kUnavailable};
    c.frames.pop();
  }
  return done;
}

size_t TcpWorker::poll(std::span<Completion> out) {
  size_t done = 0;
  for (size_t i = 0; i < active_.size();) {
    Conn& c = *conns_[active_[i]];
    if (!c.broken) sendSome(c);
    if (!c.broken) done += receiveSome(c, out.subspan(done));
    if (c.broken) done += failAll(c, out.subspan(done));
    if (c.frames.empty()) {
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
  worker::PollSet<64> fds;
  for (int peer : active_) {
    if (fds.full()) break;
    Conn& c = *conns_[peer];
    if (c.broken) return;  // failures are ready to be reported
    if (c.reader.hasStaged()) return;
    fds.add(c.fd.get(), static_cast<short>(POLLIN | (c.frames.hasUnsent() ? POLLOUT : 0)));
  }
  fds.wait(max_wait);
}

}  // namespace te::engine::tcp
