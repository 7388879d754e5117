// Target side of the TCP transport: service threads that read framed requests from peers'
// connections and apply them to the registered regions (WRITE: receive into the region,
// then ack; READ: send from the region), so initiators see one-sided semantics.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/tcp/socket.h"
#include "engine/tcp/wire.h"

namespace te::engine {
class Buffer;
}

namespace te::engine::tcp {

// A registered region as the TCP transport moves bytes: `base` is host memory. For memory
// the CPU cannot touch (VRAM), `base` is a host staging copy and `staged` the real buffer:
// bytes are copied between the two per request (the target before a READ reply and after a
// WRITE lands, the initiator before a WRITE and after a READ).
struct RegionView {
  uint8_t* base;
  uint64_t length;
  const Buffer* staged = nullptr;
};

class TcpServer {
 public:
  TcpServer(std::vector<RegionView> regions, uint32_t reply_capacity);
  ~TcpServer();

  // Adds an accepted, non-blocking connection from (peer rank, worker) to thread `thread`.
  void addConnection(Fd fd, int peer_rank, int thread);
  // Starts `threads` service threads (connections must have been added for 0..threads-1).
  Status start(int threads);
  void stop();

 private:
  struct Conn;
  struct Thread;
  void run(Thread* t);
  // Moves bytes both ways until the socket would block; false when the connection ended.
  bool drive(Conn& c);
  bool receive(Conn& c);
  bool sendReplies(Conn& c);

  std::vector<RegionView> regions_;
  uint32_t reply_capacity_;
  std::vector<std::unique_ptr<Thread>> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace te::engine::tcp
