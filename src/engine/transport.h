// Transport: the interface every data mover implements (tcp/, verbs/, ucx/).
//
// Life cycle: create (factory in the registry) -> registerMemory (one or more regions) ->
// connect(collective) -> worker(i).post / poll from worker thread i -> destroy.
// A worker is used by exactly one thread; post() never blocks, poll() never blocks.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/collective.h"
#include "common/status.h"
#include "engine/memory/buffer.h"
#include "engine/transport_options.h"
#include "engine/types.h"

namespace te::engine {

struct TransportCapabilities {
  bool one_sided = false;         // true RDMA; false: emulated by a target-side service
  bool dram = true;
  bool vram = false;
  uint64_t max_request_size = 0;  // bytes; 0 = no limit
};

class TransportWorker {
 public:
  virtual ~TransportWorker() = default;

  // Queues requests. Returns how many (a prefix of `requests`) were accepted; kTryAgain when
  // none could be (queues full: poll, then post again); kInvalidArgument for a malformed
  // request (bad region, out-of-range offset, unknown peer), nothing accepted from it on.
  virtual Result<size_t> post(std::span<const Request> requests) = 0;

  // Writes finished requests into `out`, returns how many. Drives progress.
  virtual size_t poll(std::span<Completion> out) = 0;

  // Called by the caller's loop when poll() returned nothing: wait at most `max_wait` for
  // something to happen (a socket readable, a completion event), so that ranks sharing few
  // cores do not starve each other. The default sleeps.
  virtual void waitForProgress(std::chrono::microseconds max_wait);

  // The first failure this worker saw, with its full message (peer rank, host, cause).
  virtual Status lastError() const = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  virtual std::string name() const = 0;
  virtual TransportCapabilities capabilities() const = 0;

  // Registers [addr, addr + length). Regions must be registered before connect(); their
  // ids are 0, 1, 2, ... in registration order on every rank.
  virtual Result<RegionId> registerMemory(void* addr, size_t length, MemoryKind kind) = 0;

  // Registers a whole buffer. A transport that can use more than the address (a VRAM
  // buffer's dma-buf, say) overrides this; the default registers the address range.
  virtual Result<RegionId> registerBuffer(const Buffer& buffer) {
    return registerMemory(buffer.data(), buffer.length(), buffer.kind());
  }

  // The NUMA node the devices this transport would use sit on, so the caller can place
  // buffers and threads there (verbs: the NICs' node when they share one); -1 when unknown
  // or when they span nodes. Called before registerMemory.
  virtual int preferredNumaNode() const { return -1; }

  // Memory this transport allocates itself because it reaches it faster than memory from
  // elsewhere (UCX: ucp_mem_map ALLOCATE, which shared-memory transports can map). nullptr
  // (the default) when the transport has no such memory: the caller allocates a DramBuffer.
  virtual Result<BufferPtr> allocateBuffer(size_t length, MemoryKind kind, int numa_node) {
    (void)length, (void)kind, (void)numa_node;
    return BufferPtr{};
  }

  // Exchanges endpoints and region descriptors through `collective` (allGather, and
  // allToAll for per-pair data) and connects to every other rank. Collective across ranks.
  virtual Status connect(Collective& collective, Deadline deadline) = 0;

  // Connections on demand. A transport that connects peers as phases need them (verbs under
  // --max-connected-peers) says so here; the runner then calls preparePhase before every
  // phase of every schedule, on every rank and in the same order, with the phase's links (the
  // same on every rank), once the ranks near this rank's links are through the phase before
  // (nothing of theirs in flight). With `pairs` (point-to-point messages; null where the
  // bootstrap has none) the transport connects pair by pair and phases need not go in step;
  // without, it exchanges through `collective`, which every rank joins: the runner then hands
  // off at rank 0 after every phase. Default: every peer is connected in connect().
  virtual bool connectsPerPhase() const { return false; }
  virtual Status preparePhase(std::span<const PhaseLink> links, Collective& collective, PeerMessages* pairs,
                              Deadline deadline) {
    (void)links, (void)collective, (void)pairs, (void)deadline;
    return Status::ok();
  }

  virtual int numWorkers() const = 0;
  virtual TransportWorker& worker(int index) = 0;

  // Regions a peer published (valid after connect).
  virtual const std::vector<RemoteRegionInfo>& remoteRegions(int peer) const = 0;

  // Facts for the report: devices, chosen paths, effective settings.
  virtual nlohmann::json describe() const = 0;

  // What this rank has posted to `peer` through each (local NIC, remote NIC) pair since the
  // transport last rebuilt its lanes (before a phase); a caller takes the difference over a
  // phase. Empty for transports that do not choose NICs themselves (TCP, UCX). Not the data
  // path: called between phases, with no request in flight being posted.
  virtual std::vector<NicTraffic> nicTraffic(int peer) const {
    (void)peer;
    return {};
  }
};

using TransportPtr = std::unique_ptr<Transport>;

}  // namespace te::engine
