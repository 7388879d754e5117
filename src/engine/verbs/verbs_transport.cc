#include "engine/verbs/verbs_transport.h"

#include <algorithm>
#include <optional>

#include "common/logging.h"
#include "engine/memory/numa.h"
#include "engine/rdma_qos.h"
#include "engine/transport_descriptor.h"
#include "engine/verbs/channel_set.h"
#include "engine/verbs/device_discovery.h"
#include "engine/verbs/device_memory_mr.h"
#include "engine/verbs/event_monitor.h"
#include "engine/verbs/nic_selection.h"
#include "engine/verbs/peer_plan.h"
#include "engine/verbs/pin_limits.h"
#include "engine/verbs/qp_state.h"

namespace te::engine::verbs {
namespace {

struct LocalRegion {
  uint64_t addr = 0;
  uint64_t length = 0;
  MemoryKind kind = MemoryKind::kDram;
  std::vector<MrPtr> mrs;  // per selected device
};

class VerbsTransport final : public Transport {
 public:
  VerbsTransport(const TransportConfig& config, std::vector<VerbsDevice> devices,
                 std::optional<NicPriorityMatrix> matrix, std::optional<NcclTopology> topology)
      : config_(config), devices_(std::move(devices)), matrix_(std::move(matrix)), topology_(std::move(topology)) {}

  std::string name() const override { return "verbs"; }
  TransportCapabilities capabilities() const override { return verbs::descriptor().capabilities; }
  int numWorkers() const override { return channels_ ? channels_->numWorkers() : 0; }
  TransportWorker& worker(int index) override { return channels_->worker(index); }
  const std::vector<RemoteRegionInfo>& remoteRegions(int peer) const override {
    static const std::vector<RemoteRegionInfo> kNone;
    return peer >= 0 && peer < static_cast<int>(remote_regions_.size()) && peer != rank_ ? remote_regions_[peer]
                                                                                         : kNone;
  }

  Result<RegionId> registerMemory(void* addr, size_t length, MemoryKind kind) override;
  // VRAM: NICs by PCIe distance to the GPU, registered with dma-buf or peer memory.
  Result<RegionId> registerBuffer(const Buffer& buffer) override;
  int preferredNumaNode() const override;
  Status connect(Collective& collective, Deadline deadline) override;
  bool connectsPerPhase() const override { return plan_ != nullptr; }
  Status preparePhase(std::span<const PhaseLink> links, Collective& collective, PeerMessages* pairs,
                      Deadline deadline) override;
  nlohmann::json describe() const override;
  std::vector<NicTraffic> nicTraffic(int peer) const override {
    std::vector<NicTraffic> out;
    if (!channels_) return out;
    for (int i = 0; i < channels_->numWorkers(); ++i) channels_->worker(i).addNicTraffic(peer, &out);
    return out;
  }

 private:
  Status selectDevices(int buffer_node);
  Status selectDevicesForGpu(const Buffer& buffer);
  Status openPds();
  // RLIMIT_MEMLOCK against what this rank will pin, once, before the first registration.
  Status checkPinnedMemory(uint64_t first_region_bytes);
  RankEndpoint localEndpoint(const std::string& hostname) const;
  // Connections on demand: the plan every rank runs (peer_plan.h), QPs counted per pair.
  void startPlan(const std::vector<RankEndpoint>& endpoints, int max_peers);
  // What the connections cost, for describe(): this rank's and, on demand, every rank's.
  nlohmann::json connectionFacts() const;

  const TransportConfig config_;  // const: workers read options concurrently (the const lookup only)
  // Members in dependency order, so the default destructor tears down QPs, then CQs, then
  // MRs, then PDs, then device contexts.
  std::vector<VerbsDevice> devices_;  // every usable device found
  // Async event threads, one per opened device of the selected ports: joined before the
  // contexts close.
  std::vector<std::unique_ptr<EventMonitor>> monitors_;
  std::vector<const DeviceHealth*> nic_health_;  // per selected port: its device's monitor
  std::optional<NicPriorityMatrix> matrix_;
  std::optional<NcclTopology> topology_;  // --topo-file / NCCL_TOPO_FILE, for GPU buffers
  std::vector<size_t> selected_;      // indices into devices_, in use order
  std::string selection_reason_;
  int buffer_node_ = -1;
  std::string vram_registration_;     // how VRAM was registered ("dma-buf", "peer memory ...")
  bool memlock_checked_ = false;
  PinEstimate pin_;                   // what the RLIMIT_MEMLOCK check counted
  std::vector<PdPtr> pds_;            // per selected device
  std::vector<LocalRegion> regions_;
  int rank_ = -1;
  bool connected_ = false;
  std::vector<std::vector<RemoteRegionInfo>> remote_regions_;
  std::unique_ptr<ChannelSet> channels_;  // workers (CQs), then QPs
  std::unique_ptr<PeerPlan> plan_;         // connections on demand; null: every peer up front
  int max_peers_ = 0;                      // --max-connected-peers in effect (0: no cap)
  double connect_seconds_ = 0;             // connect() and every preparePhase, together
  double prepare_seconds_max_ = 0;         // the longest preparePhase
};

Status VerbsTransport::selectDevices(int buffer_node) {
  std::vector<CandidateNic> candidates;
  for (const VerbsDevice& d : devices_) candidates.push_back({d.facts.device, d.facts.numa_node});
  NicChoice choice = chooseNics(candidates, matrix_ ? &*matrix_ : nullptr, buffer_node, !config_.options<VerbsOptions>().devices.empty());
  buffer_node_ = buffer_node;
  selected_ = choice.indices;
  selection_reason_ = choice.reason;
  return openPds();
}

Status VerbsTransport::selectDevicesForGpu(const Buffer& buffer) {
  std::vector<CandidateNic> candidates;
  std::vector<PciLocation> locations;
  for (const VerbsDevice& d : devices_) {
    candidates.push_back({d.facts.device, d.facts.numa_node});
    locations.push_back(readPciLocation("/sys/class/infiniband/" + d.facts.device + "/device"));
  }
  const PciLocation gpu = buffer.pciBusId().empty() ? PciLocation{} : readPciLocation(pciDeviceLink(buffer.pciBusId()));
  NicChoice choice = chooseNicsForGpu(candidates, matrix_ ? &*matrix_ : nullptr, buffer.gpu(), gpu, locations,
                                      !config_.options<VerbsOptions>().devices.empty(), topology_ ? &*topology_ : nullptr,
                                      buffer.pciBusId());
  selected_ = choice.indices;
  selection_reason_ = choice.reason;
  return openPds();
}

Status VerbsTransport::openPds() {
  std::vector<ibv_context*> watched;  // parallel to monitors_
  for (size_t i : selected_) {
    ibv_context* ctx = devices_[i].context.get();
    auto it = std::find(watched.begin(), watched.end(), ctx);
    if (it == watched.end()) {
      TE_ASSIGN_OR_RETURN(std::unique_ptr<EventMonitor> monitor, EventMonitor::start(ctx));
      monitors_.push_back(std::move(monitor));
      watched.push_back(ctx);
      it = watched.end() - 1;
    }
    nic_health_.push_back(&monitors_[it - watched.begin()]->health());
    TE_ASSIGN_OR_RETURN(PdPtr pd, allocPd(ctx));
    pds_.push_back(std::move(pd));
  }
  std::string names;
  for (size_t i : selected_) {
    names += (names.empty() ? "" : ", ") + devices_[i].facts.device + " port " + std::to_string(devices_[i].facts.port);
  }
  TE_LOG(DEBUG) << "verbs: using " << names << " (" << selection_reason_ << ")";
  return Status::ok();
}

Status VerbsTransport::checkPinnedMemory(uint64_t first_region_bytes) {
  if (memlock_checked_) return Status::ok();
  memlock_checked_ = true;
  const VerbsOptions& o = config_.options<VerbsOptions>();
  pin_.buffer_bytes = config_.pinned_host_bytes > 0 ? config_.pinned_host_bytes : first_region_bytes;
  pin_.nics = static_cast<int>(selected_.size());
  // Connections on demand hold at most the cap's peers (more only while a phase needs them).
  const int cap = effectiveMaxPeers(o, config_.world_size, config_.prepares_phases);
  pin_.qps = plannedQps(cap == 0 ? config_.world_size : cap + 1, config_.num_workers, pin_.nics, o.qps_per_peer);
  pin_.depth = static_cast<uint32_t>(o.max_wr);
  return checkMemlock(pin_);
}

Result<RegionId> VerbsTransport::registerMemory(void* addr, size_t length, MemoryKind kind) {
  if (connected_) return invalidArgument("verbs: register memory before connect()");
  if (kind != MemoryKind::kDram) return invalidArgument("verbs: a VRAM region must be registered as a Buffer (registerBuffer: dma-buf or peer memory)");
  if (addr == nullptr || length == 0) return invalidArgument("verbs: empty region");
  // The first region decides the NICs: the ones close to its NUMA node.
  if (selected_.empty()) TE_RETURN_IF_ERROR(selectDevices(numaNodeOfAddress(addr)));
  TE_RETURN_IF_ERROR(checkPinnedMemory(length));
  LocalRegion r{reinterpret_cast<uint64_t>(addr), length, kind, {}};
  for (size_t i = 0; i < selected_.size(); ++i) {
    TE_ASSIGN_OR_RETURN(MrPtr mr, registerMr(pds_[i].get(), addr, length,
                                             mrAccess(config_.options<VerbsOptions>().relaxed_ordering)));
    r.mrs.push_back(std::move(mr));
  }
  regions_.push_back(std::move(r));
  return static_cast<RegionId>(regions_.size() - 1);
}

Result<RegionId> VerbsTransport::registerBuffer(const Buffer& buffer) {
  if (buffer.kind() == MemoryKind::kDram) return registerMemory(buffer.data(), buffer.length(), buffer.kind());
  if (connected_) return invalidArgument("verbs: register memory before connect()");
  // A GPU buffer registered first decides the NICs: the ones closest to that GPU.
  if (selected_.empty()) TE_RETURN_IF_ERROR(selectDevicesForGpu(buffer));
  TE_RETURN_IF_ERROR(checkPinnedMemory(0));  // GPU memory is not counted; host buffers and queues are
  LocalRegion r{reinterpret_cast<uint64_t>(buffer.data()), buffer.length(), buffer.kind(), {}};
  for (size_t i = 0; i < selected_.size(); ++i) {
    TE_ASSIGN_OR_RETURN(DeviceMr m, registerDeviceMemory(pds_[i].get(), buffer,
                                                                 mrAccess(config_.options<VerbsOptions>().relaxed_ordering)));
    vram_registration_ = m.path;
    r.mrs.push_back(std::move(m.mr));
  }
  regions_.push_back(std::move(r));
  return static_cast<RegionId>(regions_.size() - 1);
}

int VerbsTransport::preferredNumaNode() const {
  int node = -1;
  for (const VerbsDevice& d : devices_) {
    if (d.facts.numa_node < 0 || (node >= 0 && d.facts.numa_node != node)) return -1;
    node = d.facts.numa_node;
  }
  return node;
}

RankEndpoint VerbsTransport::localEndpoint(const std::string& hostname) const {
  RankEndpoint e;
  e.hostname = hostname;
  e.workers = config_.num_workers;
  // The MTU offered is the port's active one under this rank's --mtu cap, so that both ends
  // of a QP agree on its path MTU even where the ranks' caps differ (MC_MTU on some nodes).
  const ibv_mtu cap = mtuEnum(config_.options<RdmaQosOptions>().mtu);
  for (size_t i : selected_) {
    DeviceAddress a = deviceAddress(devices_[i].facts);
    a.active_mtu = static_cast<uint8_t>(std::min<int>(a.active_mtu, cap));
    e.devices.push_back(a);
  }
  for (const LocalRegion& r : regions_) {
    RegionDescriptor d{r.addr, r.length, r.kind, {}};
    for (const MrPtr& mr : r.mrs) d.rkeys.push_back(mr->rkey);
    e.regions.push_back(std::move(d));
  }
  return e;
}

Status VerbsTransport::connect(Collective& collective, Deadline deadline) {
  if (connected_) return invalidArgument("verbs: connect() called twice");
  if (selected_.empty()) TE_RETURN_IF_ERROR(selectDevices(-1));
  rank_ = collective.rank();
  const int size = collective.size();
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all,
                      collective.allGather(encodeEndpoint(localEndpoint(collective.hostname(rank_))), deadline));
  ChannelSetup setup;
  setup.rank = rank_;
  setup.workers = config_.num_workers;
  setup.options = config_.options<VerbsOptions>();
  setup.qos = config_.options<RdmaQosOptions>();
  setup.requests_in_flight = config_.requests_in_flight;
  setup.largest_request = config_.largest_request;
  setup.smallest_write = config_.smallest_write;
  setup.endpoints.resize(size);
  remote_regions_.assign(size, {});
  for (int r = 0; r < size; ++r) {
    TE_RETURN_IF_ERROR(decodeEndpoint(all[r], r, &setup.endpoints[r]));
    if (r == rank_) continue;
    for (const RegionDescriptor& d : setup.endpoints[r].regions) remote_regions_[r].push_back({d.length, d.kind});
  }
  setup.gids = GidPlan::make(setup.endpoints, rank_);
  for (size_t i = 0; i < selected_.size(); ++i) {
    const VerbsDevice& d = devices_[selected_[i]];
    setup.nics.push_back(LocalNic{d.context.get(), pds_[i].get(), &d.facts, nic_health_[i]});
  }
  for (const LocalRegion& r : regions_) {
    LocalRegionKeys k{r.addr, r.length, {}, r.kind == MemoryKind::kDram};
    for (const MrPtr& mr : r.mrs) k.lkeys.push_back(mr->lkey);
    setup.regions.push_back(std::move(k));
  }
  const Clock::time_point started = Clock::now();
  max_peers_ = effectiveMaxPeers(setup.options, size, config_.prepares_phases);
  if (max_peers_ > 0) startPlan(setup.endpoints, max_peers_);
  TE_ASSIGN_OR_RETURN(channels_, ChannelSet::create(std::move(setup), max_peers_ > 0 ? max_peers_ : size - 1));
  if (!plan_) {
    std::vector<int> everyone;
    for (int r = 0; r < size; ++r) {
      if (r != rank_) everyone.push_back(r);
    }
    TE_RETURN_IF_ERROR(channels_->connectPeers(everyone, collective, deadline));
  }
  TE_RETURN_IF_ERROR(channels_->rebuild());
  // Every QP of every rank is at RTS before anyone posts (a QP still in INIT drops packets).
  if (!plan_) TE_RETURN_IF_ERROR(collective.barrier(deadline));
  connect_seconds_ = std::chrono::duration<double>(Clock::now() - started).count();
  connected_ = true;
  return Status::ok();
}

void VerbsTransport::startPlan(const std::vector<RankEndpoint>& endpoints, int max_peers) {
  std::vector<std::pair<int, int>> shape;  // per rank: workers, devices
  for (const RankEndpoint& e : endpoints) shape.emplace_back(e.workers, static_cast<int>(e.devices.size()));
  const int q = config_.options<VerbsOptions>().qps_per_peer;
  plan_ = std::make_unique<PeerPlan>(static_cast<int>(endpoints.size()), max_peers, [shape, q](int a, int b) {
    return static_cast<uint32_t>(planChannels(shape[a].first, shape[a].second, shape[b].first, shape[b].second, q).count());
  });
}

Status VerbsTransport::preparePhase(std::span<const PhaseLink> links, Collective& collective, PeerMessages* pairs,
                                    Deadline deadline) {
  if (!plan_) return Status::ok();
  if (!connected_) return invalidArgument("verbs: preparePhase before connect()");
  const Clock::time_point started = Clock::now();
  const PhasePeers step = plan_->next(links, rank_);
  // Release first, so that this rank never holds more than the cap (or the phase's need).
  if (!step.release.empty()) {
    channels_->releasePeers(step.release);
    TE_RETURN_IF_ERROR(channels_->rebuild());
  }
  if (pairs != nullptr) {
    // Pair by pair: only the two ranks of a new pair wait for each other.
    if (!step.connect.empty()) {
      TE_RETURN_IF_ERROR(channels_->connectPairwise(step.connect, *pairs, deadline));
      TE_RETURN_IF_ERROR(channels_->rebuild());
    }
  } else if (step.exchange) {
    TE_RETURN_IF_ERROR(channels_->connectPeers(step.connect, collective, deadline));
    if (!step.connect.empty()) TE_RETURN_IF_ERROR(channels_->rebuild());
    TE_RETURN_IF_ERROR(collective.barrier(deadline));  // both ends at RTS before anyone posts
  }
  const double took = std::chrono::duration<double>(Clock::now() - started).count();
  connect_seconds_ += took;
  prepare_seconds_max_ = std::max(prepare_seconds_max_, took);
  return Status::ok();
}

nlohmann::json VerbsTransport::connectionFacts() const {
  nlohmann::json j = channels_->summary();
  // Pinned queue memory at the peak (modelled on mlx5, queue_sizing.h): the most QPs live
  // at once, and the CQs, which are made once.
  const uint64_t queue_bytes = channels_->qpBytesMax() + channels_->cqBytes();
  j["on_demand"] = plan_ != nullptr;
  j["max_connected_peers"] = max_peers_;
  j["qps_created"] = channels_->qpsCreated();
  j["qps_live"] = channels_->qpsLive();
  j["qps_live_max"] = channels_->qpsLiveMax();
  j["peers_live_max"] = channels_->peersLiveMax();
  j["queue_bytes_pinned"] = queue_bytes;
  j["queue_bytes_cqs"] = channels_->cqBytes();
  j["connect_seconds"] = connect_seconds_;
  if (!plan_) return j;
  j["prepare_seconds_max"] = prepare_seconds_max_;
  j["exchanges"] = plan_->exchanges();
  // Every rank runs the same plan: what each one created and held, without a gather.
  nlohmann::json by_rank = nlohmann::json::array();
  for (int r = 0; r < static_cast<int>(remote_regions_.size()); ++r) {
    by_rank.push_back({{"qps_created", plan_->qpsCreated(r)},
                       {"qps_live_max", plan_->qpsLiveMax(r)},
                       {"peers_live_max", plan_->peersLiveMax(r)}});
  }
  j["by_rank"] = std::move(by_rank);
  return j;
}

nlohmann::json VerbsTransport::describe() const {
  nlohmann::json devices = nlohmann::json::array();
  nlohmann::json ports = nlohmann::json::array();  // the selected ones, for each rank's line in the report
  double line_rate_gbps = 0;  // a link spreads its slices over every selected NIC
  for (size_t i = 0; i < devices_.size(); ++i) {
    nlohmann::json d = portFactsJson(devices_[i].facts);
    const auto at = std::find(selected_.begin(), selected_.end(), i);
    const bool used = at != selected_.end();
    d["selected"] = used;
    if (used) {
      line_rate_gbps += lineRateGbps(devices_[i].facts.speed_code, devices_[i].facts.width_code);
      const PortFacts& f = devices_[i].facts;
      ports.push_back({{"device", f.device},
                       {"port", f.port},
                       {"port_choice", f.port_choice},
                       {"link_layer", d["link_layer"]},
                       {"gid_index", f.gid_index},
                       {"gid_choice", f.gid_choice},
                       {"pkey_index", f.pkey_index},
                       {"pkey_choice", f.pkey_choice},
                       {"grh_required", f.grh_required}});
      // RoCE: the GID pairs matched with every peer, counted (gid_plan.h).
      if (connected_ && f.link_layer == LinkLayer::kEthernet) {
        ports.back()["gid_match"] = channels_->gids().summary(static_cast<size_t>(at - selected_.begin()));
      }
    }
    devices.push_back(std::move(d));
  }
  const VerbsOptions& o = config_.options<VerbsOptions>();
  nlohmann::json j = {{"devices", devices},
                      {"ports", ports},
                      {"selection", selection_reason_},
                      {"buffer_numa_node", buffer_node_},
                      {"vram_registration", vram_registration_},
                      {"nic_priority_matrix", o.nic_priority_matrix},
                      {"topo_file", topology_ ? topology_->source() : ""},
                      {"gid_index_option", o.gid_index},
                      {"ib_port_option", o.ib_port},
                      {"qps_per_peer", o.qps_per_peer},
                      {"slice_size", o.slice_size},
                      {"max_wr", o.max_wr},
                      {"relaxed_ordering", o.relaxed_ordering},
                      {"signal_every", signalInterval(static_cast<uint32_t>(o.max_wr))},
                      {"qp", {{"timeout", o.ib_timeout}, {"retry_cnt", kRetryCount}, {"rnr_retry", kRnrRetry},
                              {"stall_timeout_s",
                               stallTimeoutSeconds(o.slice_size, static_cast<uint32_t>(o.max_wr), o.ib_timeout)}}},
                      {"workers", config_.num_workers},
                      // For --expect-line-rate: bytes/s of the NICs one link uses.
                      {"line_rate_bytes_per_second", line_rate_gbps * 1e9 / 8}};
  nlohmann::json events = nlohmann::json::object();
  for (size_t i = 0; i < monitors_.size(); ++i) events[monitors_[i]->health().name()] = monitors_[i]->eventsSeen();
  j["async_events"] = events;
  j["pinned_estimate"] = {{"buffer_bytes", pin_.buffer_bytes}, {"nics", pin_.nics}, {"qps", pin_.qps},
                          {"queue_bytes", pin_.queueBytes()}, {"total_bytes", pin_.total()}};
  j["qos"] = connected_ ? channels_->qos() : rdmaQosJson(config_.options<RdmaQosOptions>());
  if (connected_) j["connection"] = connectionFacts();
  return j;
}

Status validateOptions(const TransportConfig& config) {
  const VerbsOptions& o = config.options<VerbsOptions>();
  if (config.num_workers <= 0) return invalidArgument("verbs: need at least one worker");
  if (o.qps_per_peer < 1 || o.qps_per_peer > 64) {
    return invalidArgument("verbs: --qps-per-peer " + std::to_string(o.qps_per_peer) + ": allowed 1..64");
  }
  if (o.max_wr < 1 || o.max_wr > 32768) {
    return invalidArgument("verbs: --max-wr " + std::to_string(o.max_wr) + ": allowed 1..32768");
  }
  if (o.slice_size == 0 || o.slice_size > (1ull << 30)) {
    return invalidArgument("verbs: --slice-size " + std::to_string(o.slice_size) + ": allowed 1 B..1 GiB");
  }
  if (o.gid_index < -1 || o.gid_index > 255) {
    return invalidArgument("verbs: --gid-index " + std::to_string(o.gid_index) + ": allowed 0..255");
  }
  if (o.ib_port < 0 || o.ib_port > 255) return invalidArgument("verbs: --ib-port " + std::to_string(o.ib_port));
  return Status::ok();
}

}  // namespace

Status probe(const TransportConfig& config) {
  TE_RETURN_IF_ERROR(validateOptions(config));
  return discoverDevices(config.options<VerbsOptions>()).status();
}

Result<TransportPtr> create(const TransportConfig& config) {
  TE_RETURN_IF_ERROR(validateOptions(config));
  initForkSafety();  // before the first registration, once per process
  const VerbsOptions& o = config.options<VerbsOptions>();
  std::optional<NicPriorityMatrix> matrix;
  if (!o.nic_priority_matrix.empty()) {
    TE_ASSIGN_OR_RETURN(matrix, loadNicPriorityMatrix(o.nic_priority_matrix));
  }
  std::optional<NcclTopology> topology;
  if (!o.topo_file.empty()) {
    Result<NcclTopology> t = NcclTopology::load(o.topo_file, o.topo_file_from);
    if (t.isOk()) {
      topology = std::move(*t);
    } else if (o.topo_file_from == "--topo-file") {
      return t.status();
    } else {  // NCCL's setting, not ours: NCCL itself would go on without it too
      TE_LOG(WARN) << t.status().message() << "; GPU-NIC pairing from sysfs";
    }
  }
  TE_ASSIGN_OR_RETURN(std::vector<VerbsDevice> devices, discoverDevices(o));
  return TransportPtr(
      std::make_unique<VerbsTransport>(config, std::move(devices), std::move(matrix), std::move(topology)));
}

}  // namespace te::engine::verbs
