// Framed sends on one stream socket: frames (a fixed-size header, then payload bytes) queued
// in a ring of fixed capacity and written in order with writev, as far as the socket takes
// them. A frame stays in the ring after it is written until its owner pops it: the TCP
// initiator keeps a request until its reply came back, the target drops a reply once sent.
#pragma once

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace te::engine::worker {

struct NoTag {};

template <typename Header, typename Tag = NoTag>
class FrameRing {
 public:
  struct Frame {
    Header header;
    const uint8_t* payload = nullptr;  // payload_length bytes follow the header on the wire
    uint64_t payload_length = 0;
    uint64_t sent = 0;                 // bytes of header + payload written so far
    [[no_unique_address]] Tag tag{};   // what the owner keeps with the frame
  };

  explicit FrameRing(size_t capacity) : ring_(capacity) {}

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == ring_.size(); }
  // Frames from the oldest on that are written whole.
  size_t sentCount() const { return sent_; }
  bool hasUnsent() const { return sent_ < count_; }
  // Bytes written since construction: moves whenever send() made progress.
  uint64_t bytesWritten() const { return written_; }

  // Precondition: !full(). `payload` must stay valid until the frame is written.
  Frame& push(const Header& header, const uint8_t* payload, uint64_t payload_length) {
    Frame& f = ring_[index(count_++)];
    f.header = header;
    f.payload = payload;
    f.payload_length = payload_length;
    f.sent = 0;
    return f;
  }
  // Precondition: !empty().
  Frame& front() { return ring_[head_]; }
  void pop() {
    head_ = head_ + 1 == ring_.size() ? 0 : head_ + 1;
    --count_;
    if (sent_ > 0) --sent_;
  }

  // Writes the unsent frames, oldest first, until all are written or the socket would
  // block. Returns 0, or the errno of a failed writev (the stream is broken).
  int send(int fd) {
    constexpr int kMaxIov = 64;
    while (sent_ < count_) {
      iovec iov[kMaxIov];
      int n = 0;
      for (size_t i = sent_; i < count_ && n + 2 <= kMaxIov; ++i) {
        Frame& f = ring_[index(i)];
        uint64_t done = f.sent;
        if (done < sizeof(Header)) {
          iov[n++] = {reinterpret_cast<uint8_t*>(&f.header) + done, sizeof(Header) - done};
          done = 0;
        } else {
          done -= sizeof(Header);
        }
        if (f.payload_length > done) iov[n++] = {const_cast<uint8_t*>(f.payload) + done, f.payload_length - done};
      }
      const ssize_t wrote = ::writev(fd, iov, n);
      if (wrote < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : errno;
      written_ += static_cast<uint64_t>(wrote);
      retire(static_cast<uint64_t>(wrote));
    }
    return 0;
  }

 private:
  size_t index(size_t from_head) const {
    const size_t i = head_ + from_head;
    return i >= ring_.size() ? i - ring_.size() : i;
  }
  // Accounts `bytes` written to the unsent frames in order.
  void retire(uint64_t bytes) {
    while (bytes > 0 && sent_ < count_) {
      Frame& f = ring_[index(sent_)];
      const uint64_t total = sizeof(Header) + f.payload_length;
      const uint64_t take = std::min(bytes, total - f.sent);
      f.sent += take;
      bytes -= take;
      if (f.sent == total) ++sent_;
    }
  }

  std::vector<Frame> ring_;
  size_t head_ = 0;
  size_t count_ = 0;
  size_t sent_ = 0;
  uint64_t written_ = 0;
};

}  // namespace te::engine::worker
