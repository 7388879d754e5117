// A bootstrap's point-to-point messages (Bootstrap::post / receive on one channel) as the
// PeerMessages a transport connects pairs with (engine/transport.h, preparePhase): a wait
// for a peer heartbeats and calls `on_beat` (rank 0 takes the others' parts there), so that
// it never reads as silence.
#pragma once

#include <functional>

#include "bootstrap/bootstrap.h"

namespace te::bootstrap {

class PairMessages final : public PeerMessages {
 public:
  // `on_beat` is read at each beat (it may be empty, or change between calls).
  PairMessages(Bootstrap& bootstrap, int channel, Clock::duration beat, const std::function<void()>& on_beat)
      : bs_(bootstrap), channel_(channel), beat_(beat), on_beat_(on_beat) {}

  Status send(int to, Bytes data) override { return bs_.post(to, channel_, std::move(data)); }
  // kDeadlineExceeded naming the peer when nothing came by `deadline`.
  Result<Bytes> receive(int from, Deadline deadline) override;

 private:
  Bootstrap& bs_;
  const int channel_;
  const Clock::duration beat_;
  const std::function<void()>& on_beat_;
};

}  // namespace te::bootstrap
