#include "engine/ucx/ucx_worker.h"

#include "engine/request_check.h"
#include "engine/worker/peer_label.h"
#include "engine/worker/poll_set.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace te::engine::ucx {

struct UcxWorker::Flush {
  Endpoint* e = nullptr;
  uint64_t target = 0;  // puts this flush covers
  bool busy = false;
};

struct UcxWorker::Endpoint {
  UcxWorker* owner = nullptr;
  int peer = -1;
  std::string name;            // "rank 3 (node07)", built once: messages on the data path
  EpPtr ep;                    // declared before rkeys: rkeys are released first
  std::vector<RkeyPtr> rkeys;  // one per region the peer published
  uint32_t mapped = 0;         // of those, how many ucp_rkey_ptr maps here (shared memory)
  uint64_t puts = 0;           // puts issued on this endpoint
  uint64_t flush_asked = 0;    // puts covered by the newest flush issued
  uint64_t flushed = 0;        // puts known to be remotely complete
  // Flushes in flight. Several, so that a batch's WRITEs complete while the next batch's puts
  // still stream: a single flush at a time covers all that was issued and drains the pipe.
  std::array<Flush, kFlushesPerEndpoint> flushes{};
  uint32_t flushes_in_flight = 0;
  bool in_flush_list = false;
  SlotList waiting;            // WRITEs locally complete, waiting for a flush
  nlohmann::json lanes = nlohmann::json::array();
};

namespace {

// Progress calls per poll(): enough to drain a burst without starving the caller's loop.
constexpr int kProgressPerPoll = 64;
// waitForProgress() yields instead of sleeping while transfers moved this recently.
constexpr auto kYieldWindow = std::chrono::microseconds(500);

void onFragment(void* request, ucs_status_t status, void* user_data) {
  auto* f = static_cast<Fragment*>(user_data);
  static_cast<UcxWorker*>(f->owner)->fragmentFinished(f, status, true);
  ucp_request_free(request);
}

void onFlush(void* request, ucs_status_t status, void* user_data) {
  auto* f = static_cast<UcxWorker::Flush*>(user_data);
  f->e->owner->flushFinished(*f, status);
  ucp_request_free(request);
}

StatusCode codeFor(ucs_status_t s) {
  return s == UCS_ERR_INVALID_PARAM || s == UCS_ERR_INVALID_ADDR ? StatusCode::kInvalidArgument
                                                                 : StatusCode::kUnavailable;
}

std::string printEp(ucp_ep_h ep) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* stream = open_memstream(&buf, &len);
  if (!stream) return {};
  ucp_ep_print_info(ep, stream);
  std::fclose(stream);
  std::string text(buf, len);
  std::free(buf);
  return text;
}

}  // namespace

uint32_t requestSlotsFor(const UcxOptions& options) {
  uint64_t n = options.max_inflight_bytes / 4096;
  return static_cast<uint32_t>(n < 256 ? 256 : n > 16384 ? 16384 : n);
}

UcxWorker::UcxWorker(WorkerPtr worker, int index, int rank, const std::vector<LocalRegion>* local,
                     const std::vector<PeerView>* peers, const UcxOptions& options)
    : worker_(std::move(worker)),
      index_(index),
      rank_(rank),
      local_(local),
      peers_(peers),
      remote_writes_(options.remote_write_completion),
      slots_(requestSlotsFor(options)),
      fragments_(slots_, options.max_inflight_bytes, options.fragment_size, this) {
  eps_.resize(peers->size());
  flush_list_.reserve(peers->size());
}

UcxWorker::~UcxWorker() {
  closeEndpoints(Clock::now() + std::chrono::milliseconds(500));  // done already, unless connect failed
  // Destroy the UCX worker while the slots still exist: requests it cancels call back into them.
  worker_.reset();
}

Result<std::unique_ptr<UcxWorker>> UcxWorker::create(ucp_context_h context, int index, int rank,
                                                     const std::vector<LocalRegion>* local,
                                                     const std::vector<PeerView>* peers, const UcxOptions& options) {
  std::string name = "te_worker" + std::to_string(index);
  TE_ASSIGN_OR_RETURN(WorkerPtr worker, createWorker(context, name.c_str()));
  std::unique_ptr<UcxWorker> w(new UcxWorker(std::move(worker), index, rank, local, peers, options));
  if (ucp_worker_get_efd(w->worker_.get(), &w->efd_) != UCS_OK) w->efd_ = -1;
  return w;
}

Status UcxWorker::createEndpoints() {
  for (size_t p = 0; p < peers_->size(); ++p) {
    if (static_cast<int>(p) == rank_) continue;
    const PublishedEndpoint& pub = (*peers_)[p].endpoint;
    auto e = std::make_unique<Endpoint>();
    e->owner = this;
    e->peer = static_cast<int>(p);
    e->name = worker::peerLabel(e->peer, (*peers_)[p].hostname);
    ucp_ep_params_t params{};
    params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE;
    params.address = reinterpret_cast<const ucp_address_t*>(pub.worker_address.data());
    params.err_mode = UCP_ERR_HANDLING_MODE_NONE;
    ucp_ep_h ep = nullptr;
    ucs_status_t s = ucp_ep_create(worker_.get(), &params, &ep);
    if (s != UCS_OK) return ucxError("ucp_ep_create to " + e->name, s);
    e->ep = EpPtr(ep, EpDeleter{worker_.get()});
    for (size_t r = 0; r < pub.regions.size(); ++r) {
      ucp_rkey_h rkey = nullptr;
      s = ucp_ep_rkey_unpack(ep, pub.regions[r].rkey.data(), &rkey);
      if (s != UCS_OK) {
        return ucxError("ucp_ep_rkey_unpack of region " + std::to_string(r) + " of " + e->name, s);
      }
      e->rkeys.emplace_back(rkey);
      void* local = nullptr;
      if (ucp_rkey_ptr(rkey, pub.regions[r].base, &local) == UCS_OK) ++e->mapped;
    }
    eps_[p] = std::move(e);
  }
  return Status::ok();
}

Status UcxWorker::completeWireup(Deadline deadline) {
  std::vector<std::pair<int, ucs_status_ptr_t>> flushes;
  for (auto& e : eps_) {
    if (!e) continue;
    ucp_request_param_t params{};
    flushes.emplace_back(e->peer, ucp_ep_flush_nbx(e->ep.get(), &params));
  }
  Status first;
  for (auto& [peer, request] : flushes) {
    ucs_status_t s = waitRequest(worker_.get(), request, deadline);
    if (s != UCS_OK && first.isOk()) {
      first = ucxError("connecting worker " + std::to_string(index_) + " to " + eps_[peer]->name, s,
                       s == UCS_ERR_TIMED_OUT ? StatusCode::kDeadlineExceeded : StatusCode::kUnavailable);
    }
  }
  TE_RETURN_IF_ERROR(first);
  for (auto& e : eps_) {
    if (e) e->lanes = parseEpLanes(printEp(e->ep.get()));
  }
  return Status::ok();
}

void UcxWorker::closeEndpoints(Deadline deadline) {
  std::vector<ucs_status_ptr_t> closing;
  for (auto& e : eps_) {
    if (!e || !e->ep) continue;
    e->rkeys.clear();
    closing.push_back(startClose(e->ep.release(), false));
  }
  // Progress all closes together; one that misses the deadline is abandoned (the worker's
  // destruction releases it).
  for (ucs_status_ptr_t request : closing) (void)waitRequest(worker_.get(), request, deadline);
}

uint32_t UcxWorker::mappedRegions(int peer) const {
  return peer >= 0 && peer < static_cast<int>(eps_.size()) && eps_[peer] ? eps_[peer]->mapped : 0;
}

const nlohmann::json& UcxWorker::lanes(int peer) const {
  static const nlohmann::json kNone = nlohmann::json::array();
  return peer >= 0 && peer < static_cast<int>(eps_.size()) && eps_[peer] ? eps_[peer]->lanes : kNone;
}

Status UcxWorker::validate(const Request& r) const {
  if (r.peer < 0 || r.peer >= static_cast<int>(eps_.size()) || !eps_[r.peer]) {
    return invalidArgument("ucx: request to rank " + std::to_string(r.peer) + ", which is not a connected peer");
  }
  const auto& regions = (*peers_)[r.peer].regions;
  return checkRequestRanges(
      "ucx", r, r.local_region < local_->size() ? std::optional((*local_)[r.local_region].length) : std::nullopt,
      r.remote_region < regions.size() ? std::optional(regions[r.remote_region].length) : std::nullopt,
      eps_[r.peer]->name);
}

Result<size_t> UcxWorker::post(std::span<const Request> requests) {
  Result<size_t> accepted = worker::acceptPrefix(requests, [this](const Request& r) { return offer(r); });
  issue();
  issueFlushes();
  return accepted;
}

worker::Offer UcxWorker::offer(const Request& r) {
  Status s = validate(r);
  if (!s.isOk()) return worker::Offer::refused(std::move(s));
  if (fragments_.full()) return worker::Offer::noRoom();
  fragments_.add(r);
  return worker::Offer::taken();
}

void UcxWorker::issue() {
  while (Fragment* f = fragments_.nextFragment()) {
    RequestSlot& slot = slots_[f->slot];
    const Request& r = slot.request;
    Endpoint& e = *eps_[r.peer];
    const LocalRegion& l = (*local_)[r.local_region];
    ucp_request_param_t params;
    params.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FIELD_MEMH |
                          UCP_OP_ATTR_FIELD_MEMORY_TYPE;
    params.cb.send = &onFragment;
    params.user_data = f;
    params.memh = l.memh.get();
    params.memory_type = UCS_MEMORY_TYPE_HOST;
    uint8_t* local = l.base + r.local_offset + f->offset;
    uint64_t remote = (*peers_)[r.peer].endpoint.regions[r.remote_region].base + r.remote_offset + f->offset;
    ucp_rkey_h rkey = e.rkeys[r.remote_region].get();
    ucs_status_ptr_t st;
    if (r.op == OpCode::kWrite) {
      st = ucp_put_nbx(e.ep.get(), local, f->length, remote, rkey, &params);
      slot.flush_ticket = ++e.puts;
      if (remote_writes_ && !e.in_flush_list) {
        e.in_flush_list = true;
        flush_list_.push_back(e.peer);
      }
    } else {
      st = ucp_get_nbx(e.ep.get(), local, f->length, remote, rkey, &params);
    }
    if (st == nullptr) {
      fragmentFinished(f, UCS_OK, false);
    } else if (UCS_PTR_IS_ERR(st)) {
      fragmentFinished(f, UCS_PTR_STATUS(st), false);
    } else if (r.op == OpCode::kWrite) {
      ++puts_in_flight_;
    }
  }
}

void UcxWorker::fragmentFinished(Fragment* f, ucs_status_t status, bool from_callback) {
  const Request& r = slots_[f->slot].request;
  if (from_callback && r.op == OpCode::kWrite) --puts_in_flight_;
  if (status != UCS_OK) fail(r.peer, r.op == OpCode::kWrite ? "ucp_put_nbx" : "ucp_get_nbx", status);
  uint32_t s = fragments_.fragmentDone(f, status == UCS_OK ? StatusCode::kOk : codeFor(status));
  if (s == kNoSlot) return;
  RequestSlot& slot = slots_[s];
  if (slot.request.op == OpCode::kWrite && slot.code == StatusCode::kOk && remote_writes_) {
    Endpoint& e = *eps_[slot.request.peer];
    if (slot.flush_ticket > e.flushed) {
      // Put completion is local (the buffer may be reused); the WRITE is done once a flush
      // of the endpoint shows the data arrived.
      slots_.append(e.waiting, s);  // e is in flush_list_ since its put was issued
      return;
    }
  }
  slots_.finish(s);
}

void UcxWorker::issueFlushes() {
  for (size_t i = 0; i < flush_list_.size();) {
    Endpoint& e = *eps_[flush_list_[i]];
    if (e.flushed == e.puts && e.waiting.empty() && e.flushes_in_flight == 0) {
      e.in_flush_list = false;
      flush_list_[i] = flush_list_.back();
      flush_list_.pop_back();
      continue;
    }
    ++i;
    if (e.flush_asked == e.puts || e.flushes_in_flight == kFlushesPerEndpoint) continue;
    Flush* f = &e.flushes[0];
    while (f->busy) ++f;  // a free one exists: fewer than kFlushesPerEndpoint are in flight
    *f = {&e, e.puts, true};
    ++e.flushes_in_flight;
    e.flush_asked = e.puts;
    ucp_request_param_t params;
    params.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    params.cb.send = &onFlush;
    params.user_data = f;
    ucs_status_ptr_t st = ucp_ep_flush_nbx(e.ep.get(), &params);
    if (st == nullptr) {
      flushFinished(*f, UCS_OK);
    } else if (UCS_PTR_IS_ERR(st)) {
      flushFinished(*f, UCS_PTR_STATUS(st));
    }
  }
}

void UcxWorker::flushFinished(Flush& f, ucs_status_t status) {
  Endpoint& e = *f.e;
  f.busy = false;
  --e.flushes_in_flight;
  // A completed flush shows that every put issued before it arrived, in whatever order the
  // flushes in flight complete. A failed one fails the WRITEs it covered.
  uint64_t upto = f.target;
  if (status == UCS_OK) {
    e.flushed = std::max(e.flushed, f.target);
    upto = e.flushed;
  } else {
    fail(e.peer, "ucp_ep_flush_nbx", status);
    e.flush_asked = e.flushed;  // the next flush covers (and so finishes) the rest
  }
  SlotList later;
  for (uint32_t s = slots_.popFront(e.waiting); s != kNoSlot; s = slots_.popFront(e.waiting)) {
    RequestSlot& slot = slots_[s];
    if (slot.flush_ticket > upto) {
      slots_.append(later, s);
      continue;
    }
    if (status != UCS_OK) slot.code = codeFor(status);
    slots_.finish(s);
  }
  e.waiting = later;
}

void UcxWorker::fail(int peer, const char* what, ucs_status_t status) {
  if (!error_.isOk()) return;  // keep the first failure; no allocation after it
  error_ = ucxError(std::string(what) + " to " + eps_[peer]->name + " (worker " + std::to_string(index_) + ")", status,
                    codeFor(status));
}

size_t UcxWorker::poll(std::span<Completion> out) {
  int i = 0;
  while (i < kProgressPerPoll && ucp_worker_progress(worker_.get()) != 0) ++i;
  if (i > 0) last_activity_ = Clock::now();
  issue();
  issueFlushes();
  return slots_.drain(out);
}

void UcxWorker::waitForProgress(std::chrono::microseconds max_wait) {
  if (slots_.finishedCount() > 0) return;
  // Software RMA over shared memory has no event for "the peer's queue has room again": a
  // sleep there costs a whole max_wait per queue-full. So while puts are still being pushed
  // out, or other transfers moved very recently, keep polling and only give the core away.
  // WRITEs waiting for their flush count as moving: over tcp all their puts sit in the socket
  // buffers, and a sleep until the flush's reply left the core idle ~1000 times a second.
  const bool outstanding = fragments_.inflightBytes() > 0 || !flush_list_.empty();
  if (puts_in_flight_ > 0 || (outstanding && Clock::now() - last_activity_ < kYieldWindow)) {
    std::this_thread::yield();
    return;
  }
  if (efd_ < 0) {
    std::this_thread::sleep_for(max_wait);
    return;
  }
  ucs_status_t s = ucp_worker_arm(worker_.get());
  if (s == UCS_ERR_BUSY) return;  // events are waiting: the next poll() progresses them
  if (s != UCS_OK) {
    std::this_thread::sleep_for(max_wait);
    return;
  }
  pollfd fd{efd_, POLLIN, 0};
  worker::waitForFds(std::span<pollfd>(&fd, 1), max_wait);
}

}  // namespace te::engine::ucx
