#include "engine/transfer_engine.h"

#include "engine/transport_registry.h"

namespace te::engine {

struct TransferEngine::Batch {
  int worker = 0;
  std::vector<Request> requests;          // capacity fixed at allocation
  std::vector<TransferStatus> statuses;
  std::vector<Completion> completions;    // scratch for poll()
  size_t submitted = 0;
  size_t posted = 0;
  size_t finished = 0;
  size_t failed = 0;
  // Completions polled for another batch of the same worker, when routed.
  std::vector<uint32_t> ready;
  size_t ready_count = 0;
  Status error;  // first request rejected by post(), with the transport's reason
};

namespace {
constexpr int kBatchShift = 32;
}

Result<std::unique_ptr<TransferEngine>> TransferEngine::create(const std::string& transport_name,
                                                               const TransportConfig& config) {
  TE_ASSIGN_OR_RETURN(TransportPtr transport, createTransport(transport_name, config));
  return std::make_unique<TransferEngine>(std::move(transport));
}

TransferEngine::TransferEngine(TransportPtr transport) : transport_(std::move(transport)) {}
TransferEngine::~TransferEngine() = default;

Result<RegionId> TransferEngine::registerLocalMemory(void* addr, size_t length, MemoryKind kind) {
  if (connected_) return invalidArgument("registerLocalMemory: regions must be registered before connect");
  TE_ASSIGN_OR_RETURN(RegionId id, transport_->registerMemory(addr, length, kind));
  regions_.push_back({static_cast<uint8_t*>(addr), length, id});
  return id;
}

Result<RegionId> TransferEngine::registerLocalBuffer(const Buffer& buffer) {
  if (connected_) return invalidArgument("registerLocalBuffer: regions must be registered before connect");
  TE_ASSIGN_OR_RETURN(RegionId id, transport_->registerBuffer(buffer));
  regions_.push_back({buffer.data(), buffer.length(), id});
  return id;
}

Status TransferEngine::connect(Collective& collective, Deadline deadline) {
  TE_RETURN_IF_ERROR(transport_->connect(collective, deadline));
  connected_ = true;
  return Status::ok();
}

Result<SegmentHandle> TransferEngine::openSegment(int rank) {
  if (!connected_) return invalidArgument("openSegment: connect() first");
  if (rank < 0) return invalidArgument("openSegment: rank " + std::to_string(rank) + " does not exist");
  if (transport_->remoteRegions(rank).empty()) {
    return notFound("openSegment: rank " + std::to_string(rank) + " published no memory");
  }
  return static_cast<SegmentHandle>(rank);
}

Result<BatchId> TransferEngine::allocateBatch(int worker, size_t capacity) {
  if (worker < 0 || worker >= transport_->numWorkers()) {
    return invalidArgument("allocateBatch: worker " + std::to_string(worker) + " out of range");
  }
  if (capacity == 0) return invalidArgument("allocateBatch: capacity 0");
  auto batch = std::make_unique<Batch>();
  batch->worker = worker;
  batch->requests.resize(capacity);
  batch->statuses.resize(capacity);
  batch->completions.resize(capacity);
  batch->ready.resize(capacity);
  std::lock_guard<std::mutex> lock(batch_mutex_);
  for (size_t i = 0; i < kMaxBatches; ++i) {
    if (!batches_[i]) {
      batches_[i] = std::move(batch);
      return static_cast<BatchId>(i);
    }
  }
  return unavailable("allocateBatch: more than " + std::to_string(kMaxBatches) + " batches");
}

Status TransferEngine::freeBatch(BatchId id) {
  std::lock_guard<std::mutex> lock(batch_mutex_);
  if (id >= kMaxBatches || !batches_[id]) return invalidArgument("freeBatch: unknown batch");
  Batch& b = *batches_[id];
  if (b.finished != b.submitted) return tryAgain("freeBatch: tasks still in flight");
  batches_[id].reset();
  return Status::ok();
}

Status TransferEngine::toRequest(const TransferRequest& in, Request* out) const {
  const auto* src = static_cast<const uint8_t*>(in.source);
  for (const auto& r : regions_) {
    if (src >= r.base && src + in.length <= r.base + r.length && src + in.length >= src) {
      out->op = in.opcode;
      out->local_region = r.id;
      out->local_offset = static_cast<uint64_t>(src - r.base);
      out->peer = in.target_id;
      out->remote_region = in.target_region;
      out->remote_offset = in.target_offset;
      out->length = in.length;
      return Status::ok();
    }
  }
  return invalidArgument("submitTransfer: source range is not inside a registered region");
}

Status TransferEngine::submitTransfer(BatchId id, std::span<const TransferRequest> requests) {
  if (id >= kMaxBatches || !batches_[id]) return invalidArgument("submitTransfer: unknown batch");
  Batch& b = *batches_[id];
  if (b.submitted + requests.size() > b.requests.size()) {
    return invalidArgument("submitTransfer: " + std::to_string(b.submitted + requests.size()) +
                           " tasks exceed the batch capacity " + std::to_string(b.requests.size()));
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    Request& r = b.requests[b.submitted + i];
    TE_RETURN_IF_ERROR(toRequest(requests[i], &r));
    r.user_data = (static_cast<uint64_t>(id) << kBatchShift) | (b.submitted + i);
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    b.statuses[b.submitted + i] = {TransferState::kPending, 0};
  }
  b.submitted += requests.size();
  postPending(b);
  return Status::ok();
}

void TransferEngine::postPending(Batch& b) {
  while (b.posted < b.submitted) {
    auto pending = std::span<const Request>(b.requests).subspan(b.posted, b.submitted - b.posted);
    Result<size_t> accepted = transport_->worker(b.worker).post(pending);
    if (!accepted.isOk()) {
      if (accepted.status().code() == StatusCode::kTryAgain) return;
      // A malformed request: fail it here so that the batch still finishes.
      if (b.error.isOk()) b.error = accepted.status();
      b.statuses[b.posted] = {TransferState::kFailed, 0};
      ++b.failed;
      ++b.finished;
      ++b.posted;
      continue;
    }
    if (*accepted == 0) return;
    b.posted += *accepted;
  }
}

void TransferEngine::routeCompletions(std::span<const Completion> done) {
  for (const Completion& c : done) {
    uint32_t batch_id = static_cast<uint32_t>(c.user_data >> kBatchShift);
    uint32_t task = static_cast<uint32_t>(c.user_data);
    Batch* b = batch_id < kMaxBatches ? batches_[batch_id].get() : nullptr;
    if (!b || task >= b->submitted) continue;  // a freed batch: nothing to report to
    bool ok = c.code == StatusCode::kOk;
    b->statuses[task] = {ok ? TransferState::kCompleted : TransferState::kFailed,
                         ok ? b->requests[task].length : 0};
    ++b->finished;
    if (!ok) ++b->failed;
    if (b->ready_count < b->ready.size()) b->ready[b->ready_count++] = task;
  }
}

size_t TransferEngine::progress(BatchId id, std::span<uint32_t> finished, bool poll_worker) {
  if (id >= kMaxBatches || !batches_[id]) return 0;
  Batch& b = *batches_[id];
  postPending(b);
  if (poll_worker) {
    size_t n = transport_->worker(b.worker).poll(b.completions);
    routeCompletions(std::span<const Completion>(b.completions.data(), n));
    if (n) postPending(b);
  }
  size_t out = std::min(finished.size(), b.ready_count);
  std::copy(b.ready.begin(), b.ready.begin() + out, finished.begin());
  // Keep what did not fit for the next call.
  std::copy(b.ready.begin() + out, b.ready.begin() + b.ready_count, b.ready.begin());
  b.ready_count -= out;
  return out;
}

TransferStatus TransferEngine::getTransferStatus(BatchId id, size_t task_id) const {
  if (id >= kMaxBatches || !batches_[id] || task_id >= batches_[id]->submitted) {
    return {TransferState::kFailed, 0};
  }
  return batches_[id]->statuses[task_id];
}

bool TransferEngine::batchDone(BatchId id, size_t* failed) const {
  if (id >= kMaxBatches || !batches_[id]) return true;
  const Batch& b = *batches_[id];
  if (failed) *failed = b.failed;
  return b.finished == b.submitted;
}

Status TransferEngine::reuseBatch(BatchId id) {
  if (id >= kMaxBatches || !batches_[id]) return invalidArgument("reuseBatch: unknown batch");
  Batch& b = *batches_[id];
  if (b.finished != b.submitted) return tryAgain("reuseBatch: tasks still in flight");
  b.submitted = b.posted = b.finished = b.failed = b.ready_count = 0;
  b.error = Status::ok();
  return Status::ok();
}

void TransferEngine::waitForProgress(BatchId id, std::chrono::microseconds max_wait) {
  if (id >= kMaxBatches || !batches_[id]) return;
  transport_->worker(batches_[id]->worker).waitForProgress(max_wait);
}

Status TransferEngine::batchError(BatchId id) {
  if (id >= kMaxBatches || !batches_[id]) return invalidArgument("unknown batch");
  if (!batches_[id]->error.isOk()) return batches_[id]->error;
  return transport_->worker(batches_[id]->worker).lastError();
}

}  // namespace te::engine
