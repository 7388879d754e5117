#include "engine/tcp/tcp_transport.h"

#include <future>
#include <thread>

#include "common/bytes.h"
#include "common/launcher_env.h"
#include "common/logging.h"
#include "common/open_files.h"
#include "engine/tcp/socket.h"
#include "engine/tcp/tcp_server.h"
#include "engine/tcp/tcp_worker.h"
#include "engine/transport_descriptor.h"
#include "engine/worker/peer_label.h"

namespace te::engine::tcp {
namespace {

constexpr uint32_t kEndpointVersion = 1;
constexpr uint32_t kLoopback = 0x0100007f;  // 127.0.0.1, network order

struct Endpoint {
  uint16_t port = 0;
  int32_t workers = 0;
  std::string hostname;
  std::vector<uint32_t> addrs;
  std::vector<RemoteRegionInfo> regions;
};

Bytes encode(const Endpoint& e) {
  ByteWriter w;
  w.put(kMagic).put(kEndpointVersion).put(e.port).put(e.workers).putString(e.hostname);
  w.put<uint32_t>(static_cast<uint32_t>(e.addrs.size()));
  for (uint32_t a : e.addrs) w.put(a);
  w.put<uint32_t>(static_cast<uint32_t>(e.regions.size()));
  for (const auto& r : e.regions) w.put(r.length).put(static_cast<uint8_t>(r.kind));
  return w.take();
}

Status decode(const Bytes& b, int rank, Endpoint* e) {
  ByteReader r(b);
  uint32_t magic = 0, version = 0, n = 0;
  auto bad = [rank](const char* what) {
    return internalError("tcp: endpoint of rank " + std::to_string(rank) + " is malformed (" + what + ")");
  };
  if (!r.get(&magic) || magic != kMagic) return bad("magic");
  if (!r.get(&version) || version != kEndpointVersion) return bad("version: mixed te_bench builds?");
  if (!r.get(&e->port) || !r.get(&e->workers) || !r.getString(&e->hostname, 1024) || !r.get(&n) || n > 256) {
    return bad("header");
  }
  e->addrs.resize(n);
  for (auto& a : e->addrs) {
    if (!r.get(&a)) return bad("addresses");
  }
  if (!r.get(&n) || n > 1024) return bad("regions");
  e->regions.resize(n);
  for (auto& reg : e->regions) {
    uint8_t kind = 0;
    if (!r.get(&reg.length) || !r.get(&kind)) return bad("regions");
    reg.kind = static_cast<MemoryKind>(kind);
  }
  if (e->workers <= 0 || e->workers > 1024) return bad("workers");
  return Status::ok();
}

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(const TransportConfig& config) : config_(config) {}
  ~TcpTransport() override {
    if (server_) server_->stop();
  }

  std::string name() const override { return "tcp"; }
  TransportCapabilities capabilities() const override { return tcp::descriptor().capabilities; }  // VRAM: staged
  int numWorkers() const override { return config_.num_workers; }
  TransportWorker& worker(int index) override { return *workers_[index]; }
  const std::vector<RemoteRegionInfo>& remoteRegions(int peer) const override {
    static const std::vector<RemoteRegionInfo> kNone;
    return peer >= 0 && peer < static_cast<int>(peers_.size()) && peer != rank_ ? peers_[peer].regions : kNone;
  }

  Result<RegionId> registerMemory(void* addr, size_t length, MemoryKind kind) override {
    if (kind != MemoryKind::kDram) {
      return invalidArgument("tcp: a VRAM region must be registered as a Buffer (registerBuffer), to be staged");
    }
    if (server_) return invalidArgument("tcp: register memory before connect()");
    regions_.push_back({static_cast<uint8_t*>(addr), length});
    kinds_.push_back(kind);
    return static_cast<RegionId>(regions_.size() - 1);
  }

  // Memory the CPU cannot touch (VRAM) is staged through host memory the buffer provides
  // (pinned for VRAM): bytes are copied per request on both sides.
  Result<RegionId> registerBuffer(const Buffer& buffer) override {
    if (buffer.kind() == MemoryKind::kDram) return registerMemory(buffer.data(), buffer.length(), buffer.kind());
    if (server_) return invalidArgument("tcp: register memory before connect()");
    TE_ASSIGN_OR_RETURN(BufferPtr staging, buffer.allocateStaging());
    regions_.push_back({staging->data(), buffer.length(), &buffer});
    kinds_.push_back(buffer.kind());
    staging_.push_back(std::move(staging));
    return static_cast<RegionId>(regions_.size() - 1);
  }

  Status connect(Collective& collective, Deadline deadline) override;

  nlohmann::json describe() const override {
    nlohmann::json addrs = nlohmann::json::array();
    for (uint32_t a : addrs_) addrs.push_back(ipv4ToString(a));
    return {{"port", port_},
            {"addresses", addrs},
            {"service_threads", service_threads_},
            {"max_inflight", config_.options<TcpOptions>().max_inflight},
            {"connections_out", connections_out_},
            {"connections_in", connections_in_},
            {"interface", config_.options<TcpOptions>().interface},
            {"staged_regions", staging_.size()},
            // --traffic-class, --service-level, --mtu set RDMA QPs; TCP sockets keep their defaults.
            {"qos", "not applicable (RDMA only: verbs, ucx)"}};
  }

 private:
  Status acceptAll(int expected, Deadline deadline, std::vector<std::vector<Fd>>* by_peer);
  Result<Fd> connectTo(int peer, int worker, Deadline deadline);

  const TransportConfig config_;  // const: workers read options concurrently (the const lookup only)
  int rank_ = 0;
  std::vector<BufferPtr> staging_;  // host copies of VRAM regions (before regions_: outlives its views)
  std::vector<RegionView> regions_;
  std::vector<MemoryKind> kinds_;
  std::vector<PeerView> peers_;
  std::vector<Endpoint> endpoints_;
  std::vector<uint32_t> addrs_;
  uint16_t port_ = 0;
  Fd listener_;
  int service_threads_ = 0;
  int connections_out_ = 0;
  int connections_in_ = 0;
  std::vector<std::unique_ptr<TcpWorker>> workers_;
  std::unique_ptr<TcpServer> server_;
};

Status TcpTransport::acceptAll(int expected, Deadline deadline, std::vector<std::vector<Fd>>* by_peer) {
  for (int i = 0; i < expected;) {
    TE_ASSIGN_OR_RETURN(Fd fd, acceptWithDeadline(listener_.get(), deadline));
    Hello hello;
    TE_RETURN_IF_ERROR(recvAll(fd.get(), &hello, sizeof(hello), deadline).withContext("tcp: reading hello"));
    bool mine = hello.magic == kMagic && static_cast<int>(hello.reserved) == rank_ && hello.rank >= 0 &&
                hello.rank < static_cast<int>(by_peer->size()) && hello.rank != rank_;
    Hello reply{kMagic, rank_, mine ? 1 : 0, 0};
    // A connection meant for another rank (the address was ours too): refuse, keep waiting.
    Status s = sendAll(fd.get(), &reply, sizeof(reply), deadline);
    if (!mine || !s.isOk()) continue;
    (*by_peer)[hello.rank].push_back(std::move(fd));
    ++i;
  }
  return Status::ok();
}

Result<Fd> TcpTransport::connectTo(int peer, int worker, Deadline deadline) {
  const Endpoint& e = endpoints_[peer];
  std::vector<uint32_t> addrs;
  bool same_host = e.hostname == endpoints_[rank_].hostname;
  if (same_host) addrs.push_back(kLoopback);
  for (uint32_t a : e.addrs) {
    if (a != kLoopback) addrs.push_back(a);
  }
  std::string errors;
  for (uint32_t a : addrs) {
    std::string used;
    Result<Fd> fd = connectAny({a}, e.port, deadline, &used);
    if (!fd.isOk()) {
      errors += (errors.empty() ? "" : "; ") + fd.status().message();
      continue;
    }
    Hello hello{kMagic, rank_, worker, static_cast<uint32_t>(peer)};
    Hello reply;
    Status s = sendAll(fd->get(), &hello, sizeof(hello), deadline);
    if (s.isOk()) s = recvAll(fd->get(), &reply, sizeof(reply), deadline);
    if (s.isOk() && reply.magic == kMagic && reply.rank == peer && reply.worker == 1) return std::move(fd).value();
    errors += (errors.empty() ? "" : "; ") + used + (s.isOk() ? " is not rank " + std::to_string(peer) : " " + s.message());
  }
  return unavailable("tcp: connect to " + worker::peerLabel(peer, e.hostname) + ": " +
                     (errors.empty() ? "it advertised no address" : errors));
}

Status TcpTransport::connect(Collective& collective, Deadline deadline) {
  if (server_) return invalidArgument("tcp: connect() called twice");
  rank_ = collective.rank();
  const int size = collective.size();
  TE_RETURN_IF_ERROR(ensureOpenFiles(2ull * config_.num_workers * (size - 1),
                                     std::to_string(config_.num_workers) + " workers x " +
                                         std::to_string(size - 1) + " peers, both ways,"));
  TE_ASSIGN_OR_RETURN(addrs_, localAddresses(config_.options<TcpOptions>().interface));
  TE_ASSIGN_OR_RETURN(listener_, listenAny(&port_));
  Endpoint mine{port_, config_.num_workers, collective.hostname(rank_), addrs_, {}};
  for (size_t i = 0; i < regions_.size(); ++i) mine.regions.push_back({regions_[i].length, kinds_[i]});
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, collective.allGather(encode(mine), deadline));
  endpoints_.resize(size);
  peers_.resize(size);
  int expected = 0;
  for (int r = 0; r < size; ++r) {
    TE_RETURN_IF_ERROR(decode(all[r], r, &endpoints_[r]));
    peers_[r] = {collective.hostname(r), worker::peerLabel(r, collective.hostname(r)), endpoints_[r].regions};
    if (r != rank_) expected += endpoints_[r].workers;
  }
  // Accept the peers' connections while making ours; the kernel completes handshakes from
  // the listen backlog, so the two sides cannot wait on each other.
  std::vector<std::vector<Fd>> incoming(size);
  auto acceptor = std::async(std::launch::async, [&] { return acceptAll(expected, deadline, &incoming); });
  Status out_status;
  for (int w = 0; w < config_.num_workers && out_status.isOk(); ++w) {
    workers_.push_back(std::make_unique<TcpWorker>(rank_, &regions_, &peers_, config_.options<TcpOptions>().max_inflight));
    for (int k = 1; k < size && out_status.isOk(); ++k) {
      int peer = (rank_ + k) % size;  // spread the connection storm across listeners
      Result<Fd> fd = connectTo(peer, w, deadline);
      if (!fd.isOk()) {
        out_status = fd.status();
        break;
      }
      TE_RETURN_IF_ERROR(setNonBlocking(fd->get()));
      workers_.back()->setConnection(peer, std::move(fd).value());
      ++connections_out_;
    }
  }
  Status in_status = acceptor.get();
  TE_RETURN_IF_ERROR(out_status);
  TE_RETURN_IF_ERROR(in_status.withContext("tcp: waiting for peers to connect"));
  const int threads = config_.options<TcpOptions>().service_threads;
  service_threads_ = threads > 0 ? threads : config_.num_workers;
  service_threads_ = std::max(1, std::min(service_threads_, std::max(1, expected)));
  server_ = std::make_unique<TcpServer>(regions_, 2 * config_.options<TcpOptions>().max_inflight + 2);
  int next = 0;
  for (int r = 0; r < size; ++r) {
    for (Fd& fd : incoming[r]) {
      server_->addConnection(std::move(fd), r, next++ % service_threads_);
      ++connections_in_;
    }
  }
  listener_.reset();
  return server_->start(service_threads_);
}

}  // namespace

Status probe(const TransportConfig&) { return Status::ok(); }

Result<TransportPtr> create(const TransportConfig& config) {
  if (config.num_workers <= 0) return invalidArgument("tcp: need at least one worker");
  if (config.options<TcpOptions>().max_inflight == 0) return invalidArgument("tcp: max_inflight must be > 0");
  return TransportPtr(std::make_unique<TcpTransport>(config));
}

}  // namespace te::engine::tcp
