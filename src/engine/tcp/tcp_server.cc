#include "engine/tcp/tcp_server.h"

#include "engine/memory/buffer.h"

#include <sys/epoll.h>

#include <tuple>

#include "common/logging.h"
#include "common/thread_name.h"
#include "engine/worker/frame_ring.h"

namespace te::engine::tcp {

struct TcpServer::Conn {
  explicit Conn(uint32_t reply_capacity) : replies(reply_capacity) {}

  Fd fd;
  int peer = -1;
  StreamReader reader;
  // Receive state: between requests, or inside a WRITE payload.
  bool in_payload = false;
  Header request;
  uint8_t* dst = nullptr;
  uint64_t remaining = 0;
  // Replies in request order (a READ's payload straight from the region), until sent.
  worker::FrameRing<Header> replies;
};

struct TcpServer::Thread {
  Fd epoll;
  std::vector<std::unique_ptr<Conn>> conns;
  std::thread thread;
};

TcpServer::TcpServer(std::vector<RegionView> regions, uint32_t reply_capacity)
    : regions_(std::move(regions)), reply_capacity_(reply_capacity) {}

TcpServer::~TcpServer() { stop(); }

void TcpServer::addConnection(Fd fd, int peer_rank, int thread) {
  while (static_cast<int>(threads_.size()) <= thread) threads_.push_back(std::make_unique<Thread>());
  auto c = std::make_unique<Conn>(reply_capacity_);
  c->fd = std::move(fd);
  c->peer = peer_rank;
  threads_[thread]->conns.push_back(std::move(c));
}

Status TcpServer::start(int threads) {
  while (static_cast<int>(threads_.size()) < threads) threads_.push_back(std::make_unique<Thread>());
  for (auto& t : threads_) {
    t->epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!t->epoll.valid()) return errnoStatus("epoll_create1", errno);
    for (auto& c : t->conns) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.ptr = c.get();
      if (::epoll_ctl(t->epoll.get(), EPOLL_CTL_ADD, c->fd.get(), &ev) != 0) {
        return errnoStatus("epoll_ctl", errno);
      }
    }
  }
  for (size_t i = 0; i < threads_.size(); ++i) {
    threads_[i]->thread = std::thread([this, raw = threads_[i].get(), i] {
      nameThisThread("te-tcp-target" + std::to_string(i));
      run(raw);
    });
  }
  return Status::ok();
}

void TcpServer::stop() {
  stop_.store(true);
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.join();
  }
}

void TcpServer::run(Thread* t) {
  epoll_event events[64];
  size_t open = t->conns.size();
  while (!stop_.load(std::memory_order_relaxed) && open > 0) {
    int n = ::epoll_wait(t->epoll.get(), events, 64, 100);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      if (!c->fd.valid()) continue;
      if (!drive(*c)) {
        ::epoll_ctl(t->epoll.get(), EPOLL_CTL_DEL, c->fd.get(), nullptr);
        c->fd.reset();
        --open;
      }
    }
  }
}

bool TcpServer::drive(Conn& c) {
  // Edge-triggered epoll: keep going until neither direction moves. Sending can unblock
  // receiving (reply ring full) and receiving creates replies to send.
  auto signature = [&c] {
    return std::make_tuple(c.replies.size(), c.replies.bytesWritten(), c.remaining, c.in_payload);
  };
  while (true) {
    auto before = signature();
    if (!receive(c)) return false;
    if (!sendReplies(c)) return false;
    if (signature() == before) return true;
  }
}

bool TcpServer::receive(Conn& c) {
  while (true) {
    if (c.in_payload) {
      StreamReader::Io io = c.reader.readPayload(c.fd.get(), &c.dst, &c.remaining);
      if (io == StreamReader::Io::kAgain) return true;
      if (io != StreamReader::Io::kDone) return false;
      c.in_payload = false;
      if (c.replies.full()) return true;  // cannot happen: reserved on header
      const RegionView* staged = c.request.status == kWireOk ? &regions_[c.request.region] : nullptr;
      if (staged && staged->staged &&
          !staged->staged->copyFromHost(c.request.offset, staged->base + c.request.offset, c.request.length).isOk()) {
        c.request.status = kWireStagingFailed;
      }
      c.replies.push(Header{kMagic, kWriteAck, c.request.status, c.request.region, 0, c.request.offset, 0}, nullptr, 0);
      continue;
    }
    if (c.replies.full()) return true;  // back-pressure: send replies first
    Header h;
    StreamReader::Io io = c.reader.readHeader(c.fd.get(), &h);
    if (io == StreamReader::Io::kAgain) return true;
    if (io != StreamReader::Io::kDone) return false;
    if (h.magic != kMagic || (h.op != kRead && h.op != kWrite)) {
      TE_LOG(ERROR) << "tcp: malformed request from rank " << c.peer << "; closing the connection";
      return false;
    }
    uint16_t status = kWireOk;
    if (h.region >= regions_.size()) {
      status = kWireBadRegion;
    } else if (h.offset > regions_[h.region].length || h.length > regions_[h.region].length - h.offset) {
      status = kWireOutOfRange;
    }
    if (h.op == kWrite) {
      c.request = h;
      c.request.status = status;
      c.in_payload = true;
      c.remaining = h.length;
      c.dst = status == kWireOk ? regions_[h.region].base + h.offset : nullptr;  // null: drop
      continue;
    }
    if (status == kWireOk && regions_[h.region].staged &&
        !regions_[h.region].staged->copyToHost(regions_[h.region].base + h.offset, h.offset, h.length).isOk()) {
      status = kWireStagingFailed;
    }
    const bool ok = status == kWireOk;
    c.replies.push(Header{kMagic, kReadReply, status, h.region, 0, h.offset, ok ? h.length : 0},
                   ok ? regions_[h.region].base + h.offset : nullptr, ok ? h.length : 0);
  }
}

bool TcpServer::sendReplies(Conn& c) {
  if (c.replies.send(c.fd.get()) != 0) return false;
  while (c.replies.sentCount() > 0) c.replies.pop();
  return true;
}

}  // namespace te::engine::tcp
