// verbs_engine_microbench: speed of the verbs data path's CPU side with no device — request
// validation, slicing, lane (QP / NIC) spreading, WR-chain building, selective signalling and
// completion matching — with ibv_post_send replaced by a recorder that turns every signalled
// WR into a successful work completion at once. Prints slices/s (goal: >= 5 M/s per thread)
// per wall second and per second of this thread's CPU time; on a shared machine the latter is
// the figure to compare (the verdict uses it).
//
// Build target: te_verbs_microbench (defined in src/engine/verbs/CMakeLists.txt).
// Usage: te_verbs_microbench [seconds per scenario, default 1]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "engine/verbs/send_path.h"

using namespace te;
using namespace te::engine;
using namespace te::engine::verbs;

namespace {

// Stands in for the QPs and the CQ: records signalled WRs as completions.
struct FakeDevice {
  std::vector<ibv_wc> cq;
  uint64_t wrs = 0;
};

int recordPost(void* ctx, ibv_qp*, ibv_send_wr* wr, ibv_send_wr**) {
  auto* dev = static_cast<FakeDevice*>(ctx);
  for (; wr != nullptr; wr = wr->next) {
    ++dev->wrs;
    if (wr->send_flags & IBV_SEND_SIGNALED) {
      ibv_wc wc{};
      wc.wr_id = wr->wr_id;
      wc.status = IBV_WC_SUCCESS;
      dev->cq.push_back(wc);
    }
  }
  return 0;
}

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

struct Scenario {
  const char* name;
  uint64_t request_size;
  uint64_t slice_size;
  int devices;
  int qps_per_device;
  uint32_t depth;
  size_t batch;
  OpCode op;
};

void run(const Scenario& s, double seconds) {
  constexpr uint64_t kRegion = 1ull << 30;
  SendPathConfig c;
  c.rank = 0;
  c.slice_size = s.slice_size;
  for (int d = 0; d < s.devices; ++d) c.local_device_names.push_back("fake" + std::to_string(d));
  c.local_regions.push_back(LocalRegionKeys{0x10000000, kRegion, std::vector<uint32_t>(s.devices, 0x1111)});
  c.peers.resize(2);
  c.peers[1].hostname = "peer";
  c.peers[1].device_names = c.local_device_names;
  c.peers[1].regions.push_back(RemoteRegionKeys{0x20000000, kRegion, std::vector<uint32_t>(s.devices, 0x2222)});
  for (int i = 0; i < s.devices * s.qps_per_device; ++i) {
    uint16_t d = static_cast<uint16_t>(i % s.devices);
    c.lanes.push_back(LaneSpec{nullptr, 1, d, d, s.depth, 64});
  }
  FakeDevice dev;
  dev.cq.reserve(1 << 16);
  auto path = SendPath::create(c, &recordPost, &dev);
  if (!path.isOk()) {
    std::fprintf(stderr, "SendPath::create: %s\n", path.status().message().c_str());
    std::exit(1);
  }
  SendPath& p = **path;
  std::vector<Request> batch(s.batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    Request& r = batch[i];
    r.op = s.op;
    r.peer = 1;
    r.length = s.request_size;
    r.local_offset = r.remote_offset = (i * s.request_size) % (kRegion - s.request_size);
    r.user_data = i;
  }
  std::vector<Completion> out(1024);
  uint64_t requests = 0;
  const double cpu0 = threadCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  auto now = t0;
  size_t next = 0;
  while (now < end) {
    for (int iter = 0; iter < 64; ++iter) {
      auto posted = p.post(std::span<const Request>(batch).subspan(next));
      if (posted.isOk()) next = (next + *posted) % batch.size();
      for (const ibv_wc& wc : dev.cq) p.onCompletion(wc);
      dev.cq.clear();
      p.pump();
      requests += p.drain(out);
    }
    now = std::chrono::steady_clock::now();
  }
  const double secs = std::chrono::duration<double>(now - t0).count();
  const double cpu = threadCpuSeconds() - cpu0;
  const double per_wall = static_cast<double>(dev.wrs) / secs;
  const double per_cpu = static_cast<double>(dev.wrs) / cpu;
  std::printf("%-36s %7.2f M slices/s wall  %7.2f M slices/cpu-s  %6.1f ns/slice  %6.2f M req/cpu-s  (%s)\n",
              s.name, per_wall / 1e6, per_cpu / 1e6, 1e9 / per_cpu, static_cast<double>(requests) / cpu / 1e6,
              per_cpu >= 5e6 ? "goal 5 M/s met" : "BELOW the 5 M/s goal");
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  if (seconds <= 0) seconds = 1.0;
  const Scenario scenarios[] = {
      {"WRITE 1 MiB / 64 KiB, 1 NIC x 2 QP", 1 << 20, 64 << 10, 1, 2, 256, 128, OpCode::kWrite},
      {"READ 1 MiB / 64 KiB, 2 NIC x 2 QP", 1 << 20, 64 << 10, 2, 2, 256, 128, OpCode::kRead},
      {"WRITE 4 KiB (1 slice), 1 NIC x 2 QP", 4 << 10, 64 << 10, 1, 2, 256, 128, OpCode::kWrite},
      {"WRITE 64 B inline, 1 NIC x 4 QP", 64, 64 << 10, 1, 4, 256, 256, OpCode::kWrite},
      {"READ 64 MiB / 64 KiB, 4 NIC x 2 QP", 64 << 20, 64 << 10, 4, 2, 128, 8, OpCode::kRead},
  };
  std::printf("verbs_engine_microbench: %.1f s per scenario, one thread, no device\n", seconds);
  for (const Scenario& s : scenarios) run(s, seconds);
  return 0;
}
