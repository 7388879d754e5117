// Collective: the exchange primitives the engine needs to connect (allGather / allToAll /
// barrier). The bootstrap layer implements it; the engine only sees this interface, so
// connection bytes travel through the bootstrap and never through the transport itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace te {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadlineIn(std::chrono::milliseconds d) { return Clock::now() + d; }

class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Host name of a rank (known to every rank after construction).
  virtual const std::string& hostname(int rank) const = 0;

  // Every rank contributes `mine`; the result has size() entries, indexed by rank.
  virtual Result<std::vector<Bytes>> allGather(const Bytes& mine, Deadline deadline) = 0;
  // `to_each[r]` goes to rank r; the result's entry r is what rank r sent to this rank.
  virtual Result<std::vector<Bytes>> allToAll(const std::vector<Bytes>& to_each,
                                              Deadline deadline) = 0;
  virtual Status barrier(Deadline deadline) = 0;
};

// Point-to-point messages between two ranks, for a transport that connects peers pair by pair
// (verbs on demand): what one rank sends another arrives in order; receive() waits for the
// next message from `from` until `deadline`. The bootstrap provides them where it can.
class PeerMessages {
 public:
  virtual ~PeerMessages() = default;
  virtual Status send(int to, Bytes data) = 0;
  virtual Result<Bytes> receive(int from, Deadline deadline) = 0;
};

}  // namespace te
