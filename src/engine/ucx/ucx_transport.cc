#include "engine/ucx/ucx_transport.h"

#include <ucs/memory/memory_type.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/logging.h"
#include "common/open_files.h"
#include "engine/transport_descriptor.h"
#include "engine/ucx/ucx_config.h"
#include "engine/ucx/ucx_exchange.h"
#include "engine/ucx/ucx_handles.h"
#include "engine/ucx/ucx_memory.h"
#include "engine/ucx/ucx_service.h"
#include "engine/ucx/ucx_worker.h"

namespace te::engine::ucx {
namespace {

// Closing endpoints needs the peers' service workers to answer; a peer that is already gone
// costs this much at most.
constexpr auto kCloseTimeout = std::chrono::seconds(2);

// The settings worth reporting out of `ucp_config_print` ("UCX_TLS=tcp" lines).
nlohmann::json configBasics(const ucp_config_t* config) {
  static const char* const kKeys[] = {"UCX_TLS",          "UCX_NET_DEVICES", "UCX_SHM_DEVICES",
                                      "UCX_PROTO_ENABLE", "UCX_RNDV_THRESH", "UCX_RNDV_SCHEME",
                                      "UCX_ZCOPY_THRESH", "UCX_MAX_RNDV_RAILS"};
  const std::map<std::string, std::string> printed = printedConfig(config);
  nlohmann::json out = nlohmann::json::object();
  for (const char* k : kKeys) {
    if (auto it = printed.find(k); it != printed.end()) out[k] = it->second;
  }
  return out;
}

class UcxTransport final : public Transport {
 public:
  UcxTransport(const TransportConfig& config, SharedContext context, nlohmann::json config_basics, nlohmann::json qos)
      : config_(config), context_(std::move(context)), config_basics_(std::move(config_basics)), qos_(std::move(qos)) {}
  ~UcxTransport() override;

  std::string name() const override { return "ucx"; }
  TransportCapabilities capabilities() const override { return ucx::descriptor().capabilities; }
  int numWorkers() const override { return config_.num_workers; }
  TransportWorker& worker(int index) override { return *workers_[index]; }
  const std::vector<RemoteRegionInfo>& remoteRegions(int peer) const override {
    static const std::vector<RemoteRegionInfo> kNone;
    return peer >= 0 && peer < static_cast<int>(peers_.size()) && peer != rank_ ? peers_[peer].regions : kNone;
  }

  Result<RegionId> registerMemory(void* addr, size_t length, MemoryKind kind) override;
  Result<BufferPtr> allocateBuffer(size_t length, MemoryKind kind, int numa_node) override;
  Status connect(Collective& collective, Deadline deadline) override;
  nlohmann::json describe() const override;

 private:
  std::string memorySource() const;

  const TransportConfig config_;  // const: workers read options concurrently (the const lookup only)
  SharedContext context_;  // also held by every memory handle (allocated buffers may outlive us)
  nlohmann::json config_basics_;
  nlohmann::json qos_;  // UCX_IB_TRAFFIC_CLASS / _SL / _PATH_MTU: the value UCX got, who chose it
  AllocatedBuffers allocated_;
  std::vector<LocalRegion> regions_;
  std::vector<Bytes> packed_rkeys_;  // by region
  std::unique_ptr<ServiceWorker> service_;
  std::vector<PeerView> peers_;
  std::vector<std::unique_ptr<UcxWorker>> workers_;
  int rank_ = 0;
};

UcxTransport::~UcxTransport() {
  // Order matters: endpoints (rkeys first) while the peers still answer, then the service
  // thread, then the memory handles, then the workers, then the context. Handles shared with
  // buffers we allocated, and the context, live on until the last such buffer is freed.
  Deadline deadline = Clock::now() + kCloseTimeout;
  for (auto& w : workers_) w->closeEndpoints(deadline);
  if (service_) service_->stop();
  regions_.clear();
  workers_.clear();
  service_.reset();
  context_.reset();
}

Result<RegionId> UcxTransport::registerMemory(void* addr, size_t length, MemoryKind kind) {
  if (service_) return invalidArgument("ucx: register memory before connect()");
  if (addr == nullptr || length == 0) return invalidArgument("ucx: empty region");
  // Inside a buffer we allocated: share its handle, whose rkey carries the segment key.
  SharedMem memh = allocated_.find(addr, length);
  const bool allocated = memh != nullptr;
  if (!allocated && kind == MemoryKind::kVram) {
    TE_ASSIGN_OR_RETURN(memh, registerCudaMemory(context_, addr, length));
  } else if (!allocated) {
    TE_ASSIGN_OR_RETURN(memh, registerHostMemory(context_, addr, length));
  }
  void* packed = nullptr;
  size_t packed_len = 0;
  ucs_status_t s = ucp_rkey_pack(context_.get(), memh.get(), &packed, &packed_len);
  if (s != UCS_OK) return ucxError("ucp_rkey_pack of a " + std::to_string(length) + "-byte region", s);
  RkeyBufferPtr packed_owned(packed);
  const auto* p = static_cast<const uint8_t*>(packed);
  packed_rkeys_.emplace_back(p, p + packed_len);
  regions_.push_back({static_cast<uint8_t*>(addr), length, kind, std::move(memh), allocated});
  return static_cast<RegionId>(regions_.size() - 1);
}

Result<BufferPtr> UcxTransport::allocateBuffer(size_t length, MemoryKind kind, int numa_node) {
  // VRAM: the caller allocates it (CUDA) and registers it; DRAM only when allowed.
  if (kind != MemoryKind::kDram || !config_.options<UcxOptions>().allocate) return BufferPtr{};
  TE_ASSIGN_OR_RETURN(std::unique_ptr<UcxBuffer> buffer, UcxBuffer::allocate(context_, length, numa_node));
  allocated_.add(*buffer);
  return BufferPtr(std::move(buffer));
}

std::string UcxTransport::memorySource() const {
  size_t allocated = 0;
  for (const LocalRegion& r : regions_) allocated += r.allocated ? 1 : 0;
  if (regions_.empty()) return "none";
  if (allocated == regions_.size()) return "ucp_mem_map ALLOCATE";
  return allocated == 0 ? "registered" : "mixed (ucp_mem_map ALLOCATE and registered)";
}

Status UcxTransport::connect(Collective& collective, Deadline deadline) {
  if (service_) return invalidArgument("ucx: connect() called twice");
  rank_ = collective.rank();
  const int size = collective.size();
  // UCX's tcp transport opens sockets per endpoint (others need none): raise the soft limit
  // where that may be needed, but only warn, since the transports UCX picks may need none.
  Status files = ensureOpenFiles(2ull * (config_.num_workers + 1) * (size - 1),
                                 "ucx: " + std::to_string(config_.num_workers + 1) + " workers x " +
                                     std::to_string(size - 1) + " peers over tcp");
  if (!files.isOk()) TE_LOG(WARN) << files.message();
  TE_ASSIGN_OR_RETURN(service_, ServiceWorker::create(context_.get()));
  service_->start();
  PublishedEndpoint mine{collective.hostname(rank_), config_.num_workers, service_->address(), {}};
  for (size_t i = 0; i < regions_.size(); ++i) {
    mine.regions.push_back({reinterpret_cast<uint64_t>(regions_[i].base), regions_[i].length, regions_[i].kind,
                            packed_rkeys_[i]});
  }
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, collective.allGather(encodeEndpoint(mine), deadline));
  peers_.resize(size);
  for (int r = 0; r < size; ++r) {
    PeerView& p = peers_[r];
    TE_RETURN_IF_ERROR(decodeEndpoint(all[r], r, &p.endpoint));
    p.hostname = collective.hostname(r);
    for (const auto& reg : p.endpoint.regions) p.regions.push_back({reg.length, reg.kind});
  }
  for (int w = 0; w < config_.num_workers; ++w) {
    TE_ASSIGN_OR_RETURN(auto worker, UcxWorker::create(context_.get(), w, rank_, &regions_, &peers_, config_.options<UcxOptions>()));
    workers_.push_back(std::move(worker));
    TE_RETURN_IF_ERROR(workers_.back()->createEndpoints());
  }
  for (auto& w : workers_) TE_RETURN_IF_ERROR(w->completeWireup(deadline));
  // Nobody posts before every endpoint of every rank is wired up.
  return collective.barrier(deadline).withContext("ucx: after connecting");
}

nlohmann::json UcxTransport::describe() const {
  ucp_context_attr_t attr{};
  attr.field_mask = UCP_ATTR_FIELD_MEMORY_TYPES | UCP_ATTR_FIELD_THREAD_MODE;
  nlohmann::json memory_types = nlohmann::json::array();
  if (ucp_context_query(context_.get(), &attr) == UCS_OK) {
    for (int t = 0; t < UCS_MEMORY_TYPE_LAST; ++t) {
      if (attr.memory_types & (1ull << t)) memory_types.push_back(ucs_memory_type_names[t]);
    }
  }
  nlohmann::json peers = nlohmann::json::array();
  for (int r = 0; r < static_cast<int>(peers_.size()) && !workers_.empty(); ++r) {
    if (r == rank_) continue;
    const nlohmann::json& lanes = workers_[0]->lanes(r);
    peers.push_back({{"rank", r},
                     {"host", peers_[r].hostname},
                     {"transports", laneTransports(lanes)},
                     {"regions_mapped", workers_[0]->mappedRegions(r)},
                     {"lanes", lanes}});
  }
  return {{"ucx_version", ucp_get_version_string()},
          {"config", config_basics_},
          {"qos", qos_},
          {"memory_types", memory_types},
          {"workers", config_.num_workers},
          {"service_worker", "one per rank, progressed by its own thread"},
          {"memory", memorySource()},
          {"allocate", config_.options<UcxOptions>().allocate},
          {"max_inflight_bytes", config_.options<UcxOptions>().max_inflight_bytes},
          {"fragment_size", config_.options<UcxOptions>().fragment_size},
          {"request_slots", requestSlotsFor(config_.options<UcxOptions>())},
          {"peers", peers}};
}

// A context from the UCX_* environment; with `qos`, the QoS settings handed on too (and
// what UCX got of them).
Result<ContextPtr> contextWithBasics(nlohmann::json* basics, const TransportConfig* options = nullptr,
                                     nlohmann::json* qos = nullptr) {
  ucp_config_t* raw = nullptr;
  ucs_status_t s = ucp_config_read(nullptr, nullptr, &raw);
  if (s != UCS_OK) return ucxError("ucp_config_read (check the UCX_* environment)", s);
  ConfigPtr config(raw);
  if (qos) {
    TE_ASSIGN_OR_RETURN(*qos, applyQos(config.get(), options->options<RdmaQosOptions>(),
                                       options->options<UcxOptions>().ib_env));
  }
  nlohmann::json settings = configBasics(config.get());
  Result<ContextPtr> context = createContext(config.get(), 0);
  if (!context.isOk()) {
    // Name the UCX settings in force: the usual cause is a UCX_TLS / UCX_NET_DEVICES choice.
    return Status(context.status().code(), context.status().message() + " (UCX_TLS=" +
                                               settings.value("UCX_TLS", "?") + ", UCX_NET_DEVICES=" +
                                               settings.value("UCX_NET_DEVICES", "?") + ")");
  }
  if (basics) *basics = std::move(settings);
  return context;
}

}  // namespace

Status probe(const TransportConfig&) {
  TE_ASSIGN_OR_RETURN(ContextPtr context, contextWithBasics(nullptr));
  TE_ASSIGN_OR_RETURN(WorkerPtr worker, createWorker(context.get(), "te_probe"));
  return Status::ok();
}

Result<TransportPtr> create(const TransportConfig& config) {
  if (config.num_workers <= 0) return invalidArgument("ucx: need at least one worker");
  const UcxOptions& o = config.options<UcxOptions>();
  if (o.max_inflight_bytes == 0) return invalidArgument("ucx: max_inflight_bytes must be > 0");
  if (o.fragment_size == 0) return invalidArgument("ucx: fragment_size must be > 0");
  nlohmann::json basics, qos;
  TE_ASSIGN_OR_RETURN(ContextPtr context, contextWithBasics(&basics, &config, &qos));
  return TransportPtr(
      std::make_unique<UcxTransport>(config, SharedContext(std::move(context)), std::move(basics), std::move(qos)));
}

}  // namespace te::engine::ucx
