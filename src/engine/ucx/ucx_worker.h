// Initiator side of the UCX transport: one ucp_worker per TransportWorker, an endpoint per
// peer (to the peer's service worker) with the peer's rkeys unpacked on it, and the data path:
// requests cut into fragments under a cap on bytes in flight, ucp_put_nbx / ucp_get_nbx with
// callbacks that write into pre-allocated slots, ucp_ep_flush_nbx per endpoint (a few in
// flight, one per post) to turn locally completed puts into remotely completed WRITEs,
// progress in poll().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/transport.h"
#include "engine/worker/accept_prefix.h"
#include "engine/ucx/fragment_queue.h"
#include "engine/ucx/ucx_exchange.h"
#include "engine/ucx/ucx_handles.h"
#include "engine/ucx/ucx_memory.h"
#include "engine/ucx/ucx_options.h"

namespace te::engine::ucx {

struct LocalRegion {
  uint8_t* base = nullptr;
  uint64_t length = 0;
  MemoryKind kind = MemoryKind::kDram;
  SharedMem memh;          // shared with the UcxBuffer it lies in, if any
  bool allocated = false;  // inside a buffer of ucp_mem_map ALLOCATE (peers on this host map it)
};

// What every worker knows of a peer (read-only after connect).
struct PeerView {
  std::string hostname;
  PublishedEndpoint endpoint;
  std::vector<RemoteRegionInfo> regions;
};

// Request slots per worker for the given options: enough for max_inflight_bytes of 4 KiB
// requests, within [256, 16384].
uint32_t requestSlotsFor(const UcxOptions& options);

class UcxWorker final : public TransportWorker {
 public:
  static Result<std::unique_ptr<UcxWorker>> create(ucp_context_h context, int index, int rank,
                                                   const std::vector<LocalRegion>* local,
                                                   const std::vector<PeerView>* peers, const UcxOptions& options);
  ~UcxWorker() override;

  // Creates an endpoint to every peer's service worker and unpacks its rkeys there.
  Status createEndpoints();
  // Completes the wire-up of every endpoint (a flush each), so that the first request does
  // not pay for it, and records the lanes UCX chose.
  Status completeWireup(Deadline deadline);
  // Releases rkeys, then closes every endpoint (flush, bounded by `deadline`).
  void closeEndpoints(Deadline deadline);

  // ucp_ep_print_info, parsed: the lanes UCX chose to `peer`.
  const nlohmann::json& lanes(int peer) const;
  // How many of `peer`'s regions ucp_rkey_ptr maps into this process: their segments are
  // shared memory here, so puts and gets to them are copies by this side, not software RMA.
  uint32_t mappedRegions(int peer) const;

  Result<size_t> post(std::span<const Request> requests) override;
  size_t poll(std::span<Completion> out) override;
  void waitForProgress(std::chrono::microseconds max_wait) override;
  Status lastError() const override { return error_; }

  // For callbacks (static functions in the .cc).
  struct Endpoint;
  void fragmentFinished(Fragment* f, ucs_status_t status, bool from_callback);
  struct Flush;  // one ucp_ep_flush_nbx in flight
  static constexpr uint32_t kFlushesPerEndpoint = 4;
  void flushFinished(Flush& f, ucs_status_t status);

 private:
  UcxWorker(WorkerPtr worker, int index, int rank, const std::vector<LocalRegion>* local,
            const std::vector<PeerView>* peers, const UcxOptions& options);
  Status validate(const Request& r) const;
  worker::Offer offer(const Request& r);
  void issue();
  void issueFlushes();
  void fail(int peer, const char* what, ucs_status_t status);

  WorkerPtr worker_;
  const int index_;
  const int rank_;
  const std::vector<LocalRegion>* local_;
  const std::vector<PeerView>* peers_;
  int efd_ = -1;
  std::vector<std::unique_ptr<Endpoint>> eps_;  // by peer rank; null for self
  std::vector<int> flush_list_;                 // peers with WRITEs waiting for a flush
  uint32_t puts_in_flight_ = 0;                 // ucp_put_nbx not yet locally complete
  Clock::time_point last_activity_{};           // last poll() in which UCX made progress
  const bool remote_writes_;                    // WRITEs wait for a flush (UcxOptions)
  RequestSlots slots_;
  FragmentQueue fragments_;  // over slots_
  Status error_;
};

}  // namespace te::engine::ucx
