#include "engine/fault/fault_transport.h"

#include <algorithm>
#include <atomic>
#include <sstream>
#include <thread>

#include "common/units.h"
#include "engine/transport_registry.h"

namespace te::engine {
namespace {

Result<int> parseEnd(const std::string& s, const std::string& rule) {
  if (s == "*") return -1;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0) return invalidArgument("TE_FAULT_INJECT: bad rank '" + s + "' in '" + rule + "'");
  return static_cast<int>(v);
}

// What the decorator knows of a local region: corrupt: rules flip a byte through the Buffer
// when there is one (VRAM is not addressable from the host), else by address (DRAM only).
struct LocalRegionRef {
  uint8_t* base = nullptr;
  const Buffer* buffer = nullptr;
  MemoryKind kind = MemoryKind::kDram;
};

void flipByte(const LocalRegionRef& region, uint64_t at) {
  if (region.buffer) {
    uint8_t b = 0;
    if (!region.buffer->copyToHost(&b, at, 1).isOk()) return;
    b ^= 0xFF;
    (void)region.buffer->copyFromHost(at, &b, 1);
  } else if (region.kind == MemoryKind::kDram && region.base) {
    region.base[at] ^= 0xFF;
  }
}

// Per-peer token bucket: a request may start when the bucket is not in debt; its bytes are
// charged on acceptance, so the long-run rate is the cap whatever the request size.
// A corrupt: rule flips one byte once per peer, shared by all workers: a flip per WRITE would
// undo itself whenever a block happened to be written an even number of times.
// A burst: rule tags its requests' user_data with a bit the engine never sets (batch ids stay
// far below 2^31), holds their completions and hands them over together once the first has
// waited hold_ms (the longest hold of the worker's rules).
class FaultWorker final : public TransportWorker {
 public:
  FaultWorker(TransportWorker& inner, std::vector<double> peer_rates, std::vector<bool> peer_fails,
              std::atomic<bool>* peer_corrupt_pending, const std::vector<LocalRegionRef>* regions,
              std::vector<bool> peer_held, int hold_ms)
      : inner_(inner), rates_(std::move(peer_rates)), fails_(std::move(peer_fails)),
        corrupt_pending_(peer_corrupt_pending), regions_(regions), debt_until_(rates_.size(), Clock::time_point{}),
        held_peers_(std::move(peer_held)), hold_(std::chrono::milliseconds(hold_ms)) {
    held_.reserve(4096);
  }

  Result<size_t> post(std::span<const Request> requests) override {
    size_t n = 0;
    auto now = Clock::now();
    for (; n < requests.size(); ++n) {
      const Request& r = requests[n];
      if (r.peer < 0 || r.peer >= static_cast<int>(rates_.size())) break;  // inner reports it
      if (fails_[r.peer]) {
        if (n == 0) {
          return unavailable("fault injection: link to rank " + std::to_string(r.peer) + " fails (TE_FAULT_INJECT)");
        }
        break;
      }
      if (r.op == OpCode::kWrite && r.length > 0 && r.local_region < regions_->size() &&
          corrupt_pending_[r.peer].load(std::memory_order_relaxed) && corrupt_pending_[r.peer].exchange(false)) {
        flipByte((*regions_)[r.local_region], r.local_offset + r.length / 2);
      }
      if (rates_[r.peer] > 0) {
        if (debt_until_[r.peer] > now) break;
        auto cost = std::chrono::duration<double>(double(r.length) / rates_[r.peer]);
        debt_until_[r.peer] = std::max(debt_until_[r.peer], now) +
                              std::chrono::duration_cast<Clock::duration>(cost);
      }
    }
    if (n == requests.size()) return postTagged(requests);
    if (n == 0) {
      // Either a throttled link in debt (try again) or a malformed request for the inner.
      const Request& r = requests[0];
      if (r.peer >= 0 && r.peer < static_cast<int>(rates_.size())) return tryAgain("fault injection: rate cap");
      return inner_.post(requests);
    }
    return postTagged(requests.first(n));
  }

  size_t poll(std::span<Completion> out) override {
    const size_t got = inner_.poll(out);
    if (hold_.count() == 0) return got;
    const auto now = Clock::now();
    size_t kept = 0;
    for (size_t i = 0; i < got; ++i) {
      if (!(out[i].user_data & kHeldBit)) {
        out[kept++] = out[i];
        continue;
      }
      if (head_ == held_.size()) release_at_ = now + hold_;
      held_.push_back({out[i].user_data & ~kHeldBit, out[i].code});
    }
    if (head_ < held_.size() && now >= release_at_) {
      while (kept < out.size() && head_ < held_.size()) out[kept++] = held_[head_++];
      if (head_ == held_.size()) held_.clear(), head_ = 0;
    }
    return kept;
  }

  void waitForProgress(std::chrono::microseconds max_wait) override {
    inner_.waitForProgress(max_wait);
  }

  Status lastError() const override { return inner_.lastError(); }

 private:
  static constexpr uint64_t kHeldBit = 1ull << 63;

  Result<size_t> postTagged(std::span<const Request> requests) {
    if (hold_.count() == 0) return inner_.post(requests);
    if (tagged_.size() < requests.size()) tagged_.resize(requests.size());  // grows once
    for (size_t i = 0; i < requests.size(); ++i) {
      tagged_[i] = requests[i];
      const int peer = requests[i].peer;
      const bool held = peer >= 0 && peer < static_cast<int>(held_peers_.size()) && held_peers_[peer];
      if (held) tagged_[i].user_data |= kHeldBit;
    }
    return inner_.post(std::span<const Request>(tagged_.data(), requests.size()));
  }

  TransportWorker& inner_;
  std::vector<double> rates_;
  std::vector<bool> fails_;
  std::atomic<bool>* corrupt_pending_;
  const std::vector<LocalRegionRef>* regions_;
  std::vector<Clock::time_point> debt_until_;
  std::vector<bool> held_peers_;
  Clock::duration hold_;
  std::vector<Request> tagged_;
  std::vector<Completion> held_;
  size_t head_ = 0;
  Clock::time_point release_at_{};
};

class FaultTransport final : public Transport {
 public:
  FaultTransport(TransportPtr inner, int rank, std::vector<FaultRule> rules)
      : inner_(std::move(inner)), rank_(rank), rules_(std::move(rules)) {}

  std::string name() const override { return inner_->name(); }
  TransportCapabilities capabilities() const override { return inner_->capabilities(); }
  Result<RegionId> registerMemory(void* addr, size_t length, MemoryKind kind) override {
    TE_ASSIGN_OR_RETURN(RegionId id, inner_->registerMemory(addr, length, kind));
    if (regions_.size() <= id) regions_.resize(id + 1);
    regions_[id] = {static_cast<uint8_t*>(addr), nullptr, kind};
    return id;
  }
  Result<RegionId> registerBuffer(const Buffer& buffer) override {
    TE_ASSIGN_OR_RETURN(RegionId id, inner_->registerBuffer(buffer));
    if (regions_.size() <= id) regions_.resize(id + 1);
    regions_[id] = {buffer.data(), &buffer, buffer.kind()};
    return id;
  }
  int preferredNumaNode() const override { return inner_->preferredNumaNode(); }
  Result<BufferPtr> allocateBuffer(size_t length, MemoryKind kind, int numa_node) override {
    return inner_->allocateBuffer(length, kind, numa_node);
  }
  bool connectsPerPhase() const override { return inner_->connectsPerPhase(); }
  Status preparePhase(std::span<const PhaseLink> links, Collective& collective, PeerMessages* pairs,
                      Deadline deadline) override {
    return inner_->preparePhase(links, collective, pairs, deadline);
  }
  int numWorkers() const override { return inner_->numWorkers(); }
  TransportWorker& worker(int index) override { return *workers_[index]; }
  const std::vector<RemoteRegionInfo>& remoteRegions(int peer) const override { return inner_->remoteRegions(peer); }

  Status connect(Collective& collective, Deadline deadline) override {
    TE_RETURN_IF_ERROR(inner_->connect(collective, deadline));
    const int n = collective.size();
    TE_RETURN_IF_ERROR(checkRulesCanFire(n));
    std::vector<double> rates(n, 0);
    std::vector<bool> fails(n, false), held(n, false);
    int hold_ms = 0;
    corrupt_pending_ = std::make_unique<std::atomic<bool>[]>(static_cast<size_t>(n));
    for (const FaultRule& rule : rules_) {
      for (int peer = 0; peer < n; ++peer) {
        if (!rule.covers(rank_, peer)) continue;
        if (rule.kind == FaultRule::Kind::kFail) fails[peer] = true;
        else if (rule.kind == FaultRule::Kind::kCorrupt) corrupt_pending_[peer] = true;
        else if (rule.kind == FaultRule::Kind::kRate)
          rates[peer] = rates[peer] > 0 ? std::min(rates[peer], rule.bytes_per_second) : rule.bytes_per_second;
        else if (rule.kind == FaultRule::Kind::kBurst) held[peer] = true, hold_ms = std::max(hold_ms, rule.hold_ms);
        // kBadRkey, kOutOfBounds: the transport applies them itself (applies_key_faults).
      }
    }
    for (int w = 0; w < inner_->numWorkers(); ++w) {
      workers_.push_back(std::make_unique<FaultWorker>(inner_->worker(w), rates, fails, corrupt_pending_.get(),
                                                       &regions_, held, hold_ms));
    }
    return Status::ok();
  }

  std::vector<NicTraffic> nicTraffic(int peer) const override { return inner_->nicTraffic(peer); }
  nlohmann::json describe() const override {
    nlohmann::json d = inner_->describe();
    d["fault_injection"] = static_cast<int>(rules_.size());
    return d;
  }

 private:
  // A test that asks for a fault must never pass without one.
  Status checkRulesCanFire(int n) const {
    for (const FaultRule& rule : rules_) {
      if (rule.initiator >= n || rule.target >= n) {
        return invalidArgument("TE_FAULT_INJECT: '" + rule.text + "' names a rank past the last (" +
                               std::to_string(n - 1) + "): it can never fire");
      }
    }
    return Status::ok();
  }

  TransportPtr inner_;
  int rank_;
  std::vector<FaultRule> rules_;
  std::vector<LocalRegionRef> regions_;
  std::unique_ptr<std::atomic<bool>[]> corrupt_pending_;  // per peer: the one flip is still to do
  std::vector<std::unique_ptr<FaultWorker>> workers_;
};

}  // namespace

Result<std::vector<FaultRule>> parseFaultSpec(const std::string& spec) {
  std::vector<FaultRule> rules;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ';');) {
    if (item.empty()) continue;
    FaultRule rule;
    size_t c1 = item.find(':');
    std::string kind = item.substr(0, c1);
    std::string rest = c1 == std::string::npos ? "" : item.substr(c1 + 1);
    size_t arrow = rest.find("->");
    if (arrow == std::string::npos) return invalidArgument("TE_FAULT_INJECT: '" + item + "' needs INITIATOR->TARGET");
    size_t c2 = rest.find(':', arrow);
    TE_ASSIGN_OR_RETURN(rule.initiator, parseEnd(rest.substr(0, arrow), item));
    TE_ASSIGN_OR_RETURN(rule.target, parseEnd(rest.substr(arrow + 2, c2 == std::string::npos ? std::string::npos
                                                                                              : c2 - arrow - 2), item));
    rule.text = item;
    if (rule.initiator >= 0 && rule.initiator == rule.target) {
      return invalidArgument("TE_FAULT_INJECT: '" + item + "' links a rank to itself: it can never fire");
    }
    if (kind == "fail") {
      rule.kind = FaultRule::Kind::kFail;
    } else if (kind == "corrupt") {
      rule.kind = FaultRule::Kind::kCorrupt;
    } else if (kind == "badrkey") {
      rule.kind = FaultRule::Kind::kBadRkey;
    } else if (kind == "oob") {
      rule.kind = FaultRule::Kind::kOutOfBounds;
    } else if (kind == "burst" && c2 != std::string::npos) {
      rule.kind = FaultRule::Kind::kBurst;
      const std::string ms = rest.substr(c2 + 1);
      char* end = nullptr;
      const long v = std::strtol(ms.c_str(), &end, 10);
      if (ms.empty() || *end != '\0' || v < 1 || v > 10000) {
        return invalidArgument("TE_FAULT_INJECT: '" + item + "': burst hold in ms, allowed 1..10000");
      }
      rule.hold_ms = static_cast<int>(v);
    } else if (kind == "rate" && c2 != std::string::npos) {
      TE_ASSIGN_OR_RETURN(uint64_t rate, parseSize(rest.substr(c2 + 1)));
      if (rate == 0) return invalidArgument("TE_FAULT_INJECT: rate 0 in '" + item + "'");
      rule.bytes_per_second = static_cast<double>(rate);
    } else {
      return invalidArgument("TE_FAULT_INJECT: '" + item +
                             "' is not rate:I->T:BYTES, burst:I->T:MS, fail:I->T, corrupt:I->T, badrkey:I->T or oob:I->T");
    }
    rules.push_back(rule);
  }
  return rules;
}

TransportPtr wrapWithFaults(TransportPtr inner, int rank, std::vector<FaultRule> rules) {
  return std::make_unique<FaultTransport>(std::move(inner), rank, std::move(rules));
}

Status checkFaultRulesFor(const std::vector<FaultRule>& rules, const std::string& transport) {
  const TransportInfo* info = findRegisteredTransport(transport);
  if (info && info->descriptor().applies_key_faults) return Status::ok();
  std::string appliers;  // "verbs": the transports that apply key faults themselves
  for (const TransportInfo& t : registeredTransports()) {
    if (t.descriptor().applies_key_faults) appliers += (appliers.empty() ? "" : ", ") + t.name;
  }
  for (const FaultRule& rule : rules) {
    if (rule.kind == FaultRule::Kind::kBadRkey || rule.kind == FaultRule::Kind::kOutOfBounds) {
      return invalidArgument(std::string("TE_FAULT_INJECT: ") + (rule.kind == FaultRule::Kind::kBadRkey ? "badrkey" : "oob") +
                             " rules act only in the " + appliers + " transport, not in " + transport);
    }
  }
  return Status::ok();
}

}  // namespace te::engine
