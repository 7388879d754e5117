// TransferEngine: Mooncake's batch vocabulary over any Transport, so Mooncake users feel at
// home: registerLocalMemory, openSegment, allocateBatch, submitTransfer, getTransferStatus,
// freeBatch. A batch belongs to one worker (one thread); batches never allocate after
// allocateBatch, and progress() drives the transport and routes completions to batches.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/collective.h"
#include "engine/transport.h"
#include "engine/transport_options.h"

namespace te::engine {

using SegmentHandle = int32_t;  // the target rank
using BatchId = uint32_t;

struct TransferRequest {
  OpCode opcode = OpCode::kWrite;
  void* source = nullptr;          // local address inside a registered region
  SegmentHandle target_id = -1;    // from openSegment()
  uint64_t target_offset = 0;      // into the target's region `target_region`
  uint64_t length = 0;
  RegionId target_region = 0;
};

enum class TransferState { kWaiting, kPending, kCompleted, kFailed };

struct TransferStatus {
  TransferState state = TransferState::kWaiting;
  uint64_t transferred_bytes = 0;
};

class TransferEngine {
 public:
  static constexpr size_t kMaxBatches = 1024;

  // `transport_name`: a built transport ("tcp", "ucx", "verbs").
  static Result<std::unique_ptr<TransferEngine>> create(const std::string& transport_name,
                                                        const TransportConfig& config);
  // Wraps an existing transport (tests, decorators).
  explicit TransferEngine(TransportPtr transport);
  ~TransferEngine();

  Result<RegionId> registerLocalMemory(void* addr, size_t length, MemoryKind kind);
  // The same for a whole Buffer, so the transport can use what it offers (a VRAM dma-buf).
  Result<RegionId> registerLocalBuffer(const Buffer& buffer);
  // Exchanges endpoints through the bootstrap's collectives and connects all ranks.
  Status connect(Collective& collective, Deadline deadline);
  Result<SegmentHandle> openSegment(int rank);

  Result<BatchId> allocateBatch(int worker, size_t capacity);
  // Appends tasks to the batch (task ids continue from the previous submit).
  Status submitTransfer(BatchId batch, std::span<const TransferRequest> requests);
  // Drives the batch's worker; writes ids of this batch's tasks that finished since the last
  // call into `finished` (at most its size) and returns how many. Non-blocking. One poll of a
  // worker routes completions to all its batches: a caller going over several batches of one
  // worker may pass poll_worker = false for all but one of them (pending tasks are still posted).
  size_t progress(BatchId batch, std::span<uint32_t> finished, bool poll_worker = true);
  TransferStatus getTransferStatus(BatchId batch, size_t task_id) const;
  // True when every submitted task of the batch has finished; failed ones are counted.
  bool batchDone(BatchId batch, size_t* failed = nullptr) const;
  // Makes a finished batch empty again (no allocation), for the next round of submits.
  Status reuseBatch(BatchId batch);
  Status freeBatch(BatchId batch);
  // Blocks the calling thread up to `max_wait` for transport events (backoff when idle).
  void waitForProgress(BatchId batch, std::chrono::microseconds max_wait);
  // First failure seen by the batch's worker (message names the peer and the cause).
  Status batchError(BatchId batch);

  Transport& transport() { return *transport_; }

 private:
  struct Batch;
  struct LocalRegionEntry {
    uint8_t* base;
    size_t length;
    RegionId id;
  };
  Status toRequest(const TransferRequest& in, Request* out) const;
  void postPending(Batch& b);
  // Hands each completion to its batch (any batch of the worker polled).
  void routeCompletions(std::span<const Completion> done);

  TransportPtr transport_;
  std::vector<LocalRegionEntry> regions_;
  bool connected_ = false;
  std::mutex batch_mutex_;  // allocate / free only
  std::array<std::unique_ptr<Batch>, kMaxBatches> batches_;
};

}  // namespace te::engine
