#include "bench/run/results.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/bytes.h"

namespace te::bench {

LatencySummary LatencySummary::of(const Histogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.min = h.min();
  s.max = h.max();
  s.p50 = h.percentile(0.50);
  s.p90 = h.percentile(0.90);
  s.p99 = h.percentile(0.99);
  s.mean = h.mean();
  return s;
}

void appendCut(const Phase& phase, int initiator, uint32_t p, bool ran, const std::string& why,
               std::vector<LinkResult>* out) {
  for (const Link& l : phase) {
    if (initiator >= 0 && l.initiator != initiator) continue;
    LinkResult r;
    r.link = l;
    r.phase = p;
    r.cut = true;
    r.not_measured = !ran;
    r.error = why;
    out->push_back(std::move(r));
  }
}

Bytes serializeResults(const GatheredResults& results) {
  ByteWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(results.links.size()));
  for (const auto& r : results.links) {
    w.put<int32_t>(r.link.initiator).put<int32_t>(r.link.target);
    w.put(r.bytes).put(r.ops).put(r.batches).put(r.seconds).put(r.precision).put(r.phase).put(r.failed).putString(r.error);
    w.put<uint8_t>(static_cast<uint8_t>((r.lower_bound ? 1 : 0) | (r.invalid ? 2 : 0) | (r.cut ? 4 : 0) |
                                         (r.not_measured ? 8 : 0)));
    w.put<uint32_t>(static_cast<uint32_t>(r.samples.size()));
    for (double v : r.samples) w.put(v);
    const LatencySummary& l = r.latency_ns;
    w.put(l.count).put(l.min).put(l.max).put(l.p50).put(l.p90).put(l.p99).put(l.mean);
    w.put<uint32_t>(static_cast<uint32_t>(r.nics.size()));
    for (const engine::NicTraffic& t : r.nics) w.putString(t.local_device).putString(t.remote_device).put(t.bytes).put(t.slices);
  }
  std::vector<uint64_t> h = results.latency_ns.serialize();
  w.put<uint32_t>(static_cast<uint32_t>(h.size()));
  for (uint64_t v : h) w.put(v);
  return w.take();
}

Status deserializeResults(const Bytes& bytes, GatheredResults* out) {
  ByteReader r(bytes);
  uint32_t n = 0;
  if (!r.get(&n) || n > (1u << 24)) return internalError("results: bad count");
  for (uint32_t i = 0; i < n; ++i) {
    LinkResult lr;
    uint32_t sn = 0;
    uint8_t flags = 0;
    if (!r.get(&lr.link.initiator) || !r.get(&lr.link.target) || !r.get(&lr.bytes) || !r.get(&lr.ops) ||
        !r.get(&lr.batches) || !r.get(&lr.seconds) || !r.get(&lr.precision) || !r.get(&lr.phase) || !r.get(&lr.failed) ||
        !r.getString(&lr.error) || !r.get(&flags) || !r.get(&sn) || sn > 4096) {
      return internalError("results: truncated link record");
    }
    lr.lower_bound = flags & 1;
    lr.invalid = flags & 2;
    lr.cut = flags & 4;
    lr.not_measured = flags & 8;
    lr.samples.resize(sn);
    for (auto& v : lr.samples) {
      if (!r.get(&v)) return internalError("results: truncated samples");
    }
    LatencySummary& l = lr.latency_ns;
    if (!r.get(&l.count) || !r.get(&l.min) || !r.get(&l.max) || !r.get(&l.p50) || !r.get(&l.p90) || !r.get(&l.p99) ||
        !r.get(&l.mean)) {
      return internalError("results: truncated latency");
    }
    uint32_t nn = 0;
    if (!r.get(&nn) || nn > 4096) return internalError("results: truncated NIC traffic");
    lr.nics.resize(nn);
    for (engine::NicTraffic& t : lr.nics) {
      if (!r.getString(&t.local_device) || !r.getString(&t.remote_device) || !r.get(&t.bytes) || !r.get(&t.slices)) {
        return internalError("results: truncated NIC traffic");
      }
    }
    out->links.push_back(std::move(lr));
  }
  uint32_t hn = 0;
  if (!r.get(&hn) || hn > 2 * Histogram::kBuckets + 4) return internalError("results: truncated histogram");
  std::vector<uint64_t> h(hn);
  for (auto& v : h) {
    if (!r.get(&v)) return internalError("results: truncated histogram");
  }
  Histogram merged;
  if (!Histogram::deserialize(h.data(), h.size(), &merged)) return internalError("results: bad histogram");
  out->latency_ns.merge(merged);
  return Status::ok();
}

Summary summarize(const std::vector<double>& values) {
  Summary s;
  s.count = values.size();
  if (values.empty()) return s;
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  size_t mid = sorted.size() / 2;
  s.median = sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / double(values.size());
  s.min_index = static_cast<size_t>(std::min_element(values.begin(), values.end()) - values.begin());
  s.max_index = static_cast<size_t>(std::max_element(values.begin(), values.end()) - values.begin());
  return s;
}

Matrix throughputMatrix(const std::vector<LinkResult>& results, int n) {
  Matrix m(n, std::vector<std::optional<double>>(n));
  for (const auto& r : results) {
    if (!r.excluded() && r.link.initiator >= 0 && r.link.initiator < n && r.link.target >= 0 && r.link.target < n) {
      m[r.link.initiator][r.link.target] = r.bytesPerSecond();
    }
  }
  return m;
}

std::vector<RankLoad> rankLoads(const std::vector<LinkResult>& links, int n) {
  // (phase, rank) -> sums, in one pass over links sorted by phase.
  std::vector<RankLoad> out(static_cast<size_t>(std::max(n, 0)));
  std::map<std::pair<uint32_t, int>, RankLoad> by_phase;
  for (const LinkResult& l : links) {
    if (!l.hasRate() || l.link.initiator < 0 || l.link.initiator >= n || l.link.target < 0 || l.link.target >= n) continue;
    RankLoad& from = by_phase[{l.phase, l.link.initiator}];
    from.injection += l.bytesPerSecond();
    ++from.links_out;
    RankLoad& to = by_phase[{l.phase, l.link.target}];
    to.ejection += l.bytesPerSecond();
    ++to.links_in;
  }
  for (const auto& [key, load] : by_phase) {
    RankLoad& r = out[static_cast<size_t>(key.second)];
    if (load.injection > r.injection) {
      r.injection = load.injection;
      r.links_out = load.links_out;
    }
    if (load.ejection > r.ejection) {
      r.ejection = load.ejection;
      r.links_in = load.links_in;
    }
  }
  return out;
}

bool loadedSchedule(const std::vector<LinkResult>& links) {
  std::set<std::pair<uint32_t, int>> out, in;
  for (const LinkResult& l : links) {
    if (!out.insert({l.phase, l.link.initiator}).second || !in.insert({l.phase, l.link.target}).second) return true;
  }
  return false;
}

Matrix latencyMatrix(const std::vector<LinkResult>& results, int n) {
  Matrix m(n, std::vector<std::optional<double>>(n));
  for (const auto& r : results) {
    if (!r.excluded() && r.latency_ns.count > 0 && r.link.initiator >= 0 && r.link.initiator < n && r.link.target >= 0 &&
        r.link.target < n) {
      m[r.link.initiator][r.link.target] = r.latency_ns.p50 / 1e3;
    }
  }
  return m;
}

namespace {
std::optional<double> meanOf(const std::vector<std::optional<double>>& v) {
  double sum = 0;
  int count = 0;
  for (const auto& x : v) {
    if (x) {
      sum += *x;
      ++count;
    }
  }
  if (count == 0) return std::nullopt;
  return sum / count;
}
}  // namespace

std::vector<std::optional<double>> rowMeans(const Matrix& m) {
  std::vector<std::optional<double>> out;
  for (const auto& row : m) out.push_back(meanOf(row));
  return out;
}

std::vector<std::optional<double>> columnMeans(const Matrix& m) {
  std::vector<std::optional<double>> out;
  for (size_t c = 0; c < m.size(); ++c) {
    std::vector<std::optional<double>> col;
    for (const auto& row : m) col.push_back(row[c]);
    out.push_back(meanOf(col));
  }
  return out;
}

}  // namespace te::bench
