// The TCP transport's wire format and the staged stream reader shared by both sides.
//
// Initiator -> target: Header{op=kRead|kWrite} (+ payload for kWrite), pipelined.
// Target -> initiator, in request order: Header{op=kReadReply} + payload, or {kWriteAck}.
// A request the target rejects (range, region) gets its reply with a non-zero status and no
// payload; a rejected WRITE's payload is read and dropped so the stream stays framed.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace te::engine::tcp {

inline constexpr uint32_t kMagic = 0x54454231;  // "TEB1"

enum WireOp : uint16_t { kRead = 1, kWrite = 2, kReadReply = 0x81, kWriteAck = 0x82 };
enum WireStatus : uint16_t { kWireOk = 0, kWireOutOfRange = 1, kWireBadRegion = 2, kWireStagingFailed = 3 };

inline const char* wireStatusText(uint16_t status) {
  switch (status) {
    case kWireOutOfRange: return "range out of bounds";
    case kWireBadRegion: return "unknown region";
    case kWireStagingFailed: return "copying between its staging buffer and VRAM failed";
    default: return "unknown status";
  }
}

struct Header {
  uint32_t magic = kMagic;
  uint16_t op = 0;
  uint16_t status = 0;
  uint32_t region = 0;
  uint32_t reserved = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};
static_assert(sizeof(Header) == 32);

struct Hello {
  uint32_t magic = kMagic;
  int32_t rank = -1;
  int32_t worker = -1;
  uint32_t reserved = 0;
};

// Reads a byte stream through a small staging buffer so that several small headers cost one
// recv(), and payloads land directly at their destination (only what was staged is copied).
class StreamReader {
 public:
  static constexpr size_t kStage = 8192;
  enum class Io { kDone, kAgain, kClosed, kError };

  // Fills `h` when a whole header is available.
  Io readHeader(int fd, Header* h) {
    while (end_ - begin_ < sizeof(Header)) {
      Io io = fill(fd);
      if (io != Io::kDone) return io;
    }
    std::memcpy(h, stage_ + begin_, sizeof(Header));
    begin_ += sizeof(Header);
    return Io::kDone;
  }

  // Reads up to `*remaining` payload bytes into `dst` (or drops them when dst is null),
  // advancing dst and remaining. kDone when remaining reaches 0.
  Io readPayload(int fd, uint8_t** dst, uint64_t* remaining) {
    if (begin_ < end_ && *remaining > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(end_ - begin_, *remaining));
      if (*dst) {
        std::memcpy(*dst, stage_ + begin_, n);
        *dst += n;
      }
      begin_ += n;
      *remaining -= n;
    }
    while (*remaining > 0) {
      if (!*dst) {  // dropping: go through the stage
        Io io = fill(fd);
        if (io != Io::kDone) return io;
        size_t n = static_cast<size_t>(std::min<uint64_t>(end_ - begin_, *remaining));
        begin_ += n;
        *remaining -= n;
        continue;
      }
      ssize_t n = ::recv(fd, *dst, *remaining, 0);
      if (n > 0) {
        *dst += n;
        *remaining -= static_cast<uint64_t>(n);
      } else if (n == 0) {
        return Io::kClosed;
      } else {
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Io::kAgain : Io::kError;
      }
    }
    return Io::kDone;
  }

  bool hasStaged() const { return begin_ < end_; }

 private:
  Io fill(int fd) {
    if (begin_ > 0) {
      std::memmove(stage_, stage_ + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    ssize_t n = ::recv(fd, stage_ + end_, kStage - end_, 0);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return Io::kDone;
    }
    if (n == 0) return Io::kClosed;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Io::kAgain : Io::kError;
  }

  uint8_t stage_[kStage];
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace te::engine::tcp
