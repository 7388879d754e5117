// Point-to-point messages of the MPI bootstrap (Bootstrap::post / receive): non-blocking
// sends whose buffers live here until MPI is done with them, and probes for what arrived.
// Only the main thread calls it (MPI_THREAD_FUNNELED).
#pragma once

#include <mpi.h>

#include <deque>
#include <optional>

#include "bootstrap/bootstrap.h"

namespace te::bootstrap {

class MpiPostbox {
 public:
  // Channel c travels with tag first_tag + c.
  explicit MpiPostbox(int first_tag) : first_tag_(first_tag) {}
  // Sends still in flight are left to MPI (freed, not waited for): a failure path must not
  // wait on a peer that is gone. Nothing is freed once MPI is finalized.
  ~MpiPostbox() { drop(); }
  // Before MPI_Finalize: the sends still in flight are MPI's alone.
  void drop();
  Status post(int to, int channel, Bytes data);
  Result<std::optional<Bootstrap::Message>> receive(int from, int channel);

 private:
  struct Sending {
    MPI_Request request;
    Bytes data;
  };
  // Forgets the sends MPI has finished with (oldest first).
  void reap();

  const int first_tag_;
  std::deque<Sending> sending_;
};

}  // namespace te::bootstrap
