// te_ucx_alloc_bw: the UCX transport's put / get bandwidth between two ranks, with the
// buffers from the transport's allocateBuffer (ucp_mem_map ALLOCATE) or registered DramBuffers,
// until the bench allocates through allocateBuffer itself. Rank 0 keeps --batch requests of
// --block-size in flight to rank 1 (offsets cycling through --buffer-size) for --duration
// seconds after --warmup, and prints one JSON line; rank 1 only waits (its service thread
// runs). Driven by perf/ucx_vs_ucx_perftest.sh (TE_DRIVER=alloc_bw):
//   UCX_TLS=sm,self mpirun -np 2 te_ucx_alloc_bw --op write --block-size 65536 --memory alloc
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bootstrap/factory.h"
#include "common/units.h"
#include "engine/memory/dram_buffer.h"
#include "engine/transport_registry.h"
#include "engine/ucx/ucx_options.h"

namespace {

using namespace te;

struct Args {
  engine::OpCode op = engine::OpCode::kWrite;
  uint64_t block = 64 << 10;
  uint64_t buffer = 0;  // 0: one block
  int batch = 128;
  double duration_s = 2;
  double warmup_s = 0.5;
  bool allocate = true;
};

Status parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return invalidArgument(flag + " needs a value");
    std::string v = argv[i + 1];
    if (flag == "--op" && (v == "write" || v == "read")) {
      a->op = v == "write" ? engine::OpCode::kWrite : engine::OpCode::kRead;
    } else if (flag == "--block-size") {
      TE_ASSIGN_OR_RETURN(a->block, parseSize(v));
    } else if (flag == "--buffer-size") {
      TE_ASSIGN_OR_RETURN(a->buffer, parseSize(v));
    } else if (flag == "--batch") {
      a->batch = std::max(1, std::stoi(v));
    } else if (flag == "--duration") {
      a->duration_s = std::stod(v);
    } else if (flag == "--warmup") {
      a->warmup_s = std::stod(v);
    } else if (flag == "--memory" && (v == "alloc" || v == "registered")) {
      a->allocate = v == "alloc";
    } else {
      return invalidArgument("unknown flag or value: " + flag + " " + v);
    }
  }
  if (a->buffer == 0) a->buffer = a->block;
  if (a->block == 0 || a->buffer % a->block != 0) return invalidArgument("--buffer-size must be a multiple of --block-size");
  return Status::ok();
}

Status check(const engine::TransportWorker& w, std::span<const engine::Completion> done) {
  for (const engine::Completion& c : done) {
    if (c.code != StatusCode::kOk) return w.lastError();
  }
  return Status::ok();
}

// Rank 0's measurement: MiB/s of requests completed inside the measured window.
Result<double> measure(engine::TransportWorker& w, const Args& a) {
  const uint64_t slots = a.buffer / a.block;
  std::vector<engine::Request> ready(a.batch);  // built, not yet accepted: [0, pending)
  std::vector<engine::Completion> done(a.batch);
  uint64_t next = 0;
  size_t pending = 0;
  auto add = [&](size_t n) {
    for (size_t i = 0; i < n; ++i, ++next) {
      engine::Request& r = ready[pending++];
      r.op = a.op;
      r.peer = 1;
      r.local_offset = r.remote_offset = (next % slots) * a.block;
      r.length = a.block;
    }
  };
  add(a.batch);
  auto after = [](Clock::time_point t, double s) {
    return t + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const auto begin = after(Clock::now(), a.warmup_s);
  const auto end = after(begin, a.duration_s);
  uint64_t bytes = 0;
  uint64_t in_flight = 0;  // accepted, not yet completed
  bool counting = false;
  Clock::time_point counted_from{};
  for (;;) {
    if (pending > 0) {
      Result<size_t> n = w.post(std::span<const engine::Request>(ready).first(pending));
      if (n.isOk()) {
        std::copy(ready.begin() + *n, ready.begin() + pending, ready.begin());
        pending -= *n;
        in_flight += *n;
      } else if (n.status().code() != StatusCode::kTryAgain) {
        return n.status();
      }
    }
    size_t got = w.poll(done);
    TE_RETURN_IF_ERROR(check(w, std::span(done).first(got)));
    in_flight -= got;
    const auto now = Clock::now();
    if (counting) bytes += got * a.block;
    if (!counting && now >= begin) {
      counting = true;
      counted_from = now;
    }
    if (now >= end) {
      const double mibs = bytes / std::chrono::duration<double>(now - counted_from).count() / (1 << 20);
      // Drain: the transport is destroyed only with nothing in flight.
      for (Deadline drain = deadlineIn(std::chrono::seconds(30)); in_flight > 0;) {
        got = w.poll(done);
        TE_RETURN_IF_ERROR(check(w, std::span(done).first(got)));
        in_flight -= got;
        if (Clock::now() > drain) return deadlineExceeded("requests still in flight 30 s after the run");
      }
      return mibs;
    }
    add(got);
    if (got == 0 && pending == 0) w.waitForProgress(std::chrono::microseconds(200));
  }
}

int run(const Args& a) {
  bootstrap::BootstrapOptions options;
  auto bs = bootstrap::createBootstrap(options, launcherEnv());
  if (!bs.isOk()) {
    std::cerr << "te_ucx_alloc_bw: " << bs.status().message() << std::endl;
    return 1;
  }
  const int rank = (*bs)->rank();
  auto fail = [&](const Status& s) {
    std::cerr << "te_ucx_alloc_bw rank " << rank << ": " << s.message() << std::endl;
    (*bs)->abortJob(1);
    return 1;
  };
  if ((*bs)->size() != 2) return fail(invalidArgument("run with exactly 2 ranks"));
  engine::TransportConfig config;
  config.options<engine::ucx::UcxOptions>().allocate = a.allocate;
  const engine::TransportInfo* info = engine::findTransport("ucx");
  if (!info) return fail(notFound("this build has no UCX transport"));
  engine::BufferPtr memory;  // declared first: a DramBuffer must outlive the transport
  auto transport = info->create(config);
  if (!transport.isOk()) return fail(transport.status());
  auto buffer = (*transport)->allocateBuffer(a.buffer, engine::MemoryKind::kDram, -1);
  if (!buffer.isOk()) return fail(buffer.status());
  memory = std::move(buffer).value();
  if (!memory) {
    auto dram = engine::DramBuffer::allocate({a.buffer, -1, false});
    if (!dram.isOk()) return fail(dram.status());
    memory = std::move(dram).value();
  }
  if (Status s = memory->clear(); !s.isOk()) return fail(s);
  if (auto r = (*transport)->registerBuffer(*memory); !r.isOk()) return fail(r.status());
  const Deadline deadline = deadlineIn(std::chrono::seconds(60));
  if (Status s = (*transport)->connect(**bs, deadline); !s.isOk()) return fail(s);
  double mibs = 0;
  if (rank == 0) {
    auto m = measure((*transport)->worker(0), a);
    if (!m.isOk()) return fail(m.status());
    mibs = *m;
  }
  if (Status s = (*bs)->barrier(deadlineIn(std::chrono::seconds(60))); !s.isOk()) return fail(s);
  if (rank == 0) {
    nlohmann::json d = (*transport)->describe();
    nlohmann::json out = {{"op", a.op == engine::OpCode::kWrite ? "write" : "read"},
                          {"block_size", a.block},
                          {"buffer_size", a.buffer},
                          {"batch", a.batch},
                          {"mib_per_s", mibs},
                          {"memory", d["memory"]},
                          {"transports", d["peers"][0]["transports"]},
                          {"regions_mapped", d["peers"][0]["regions_mapped"]}};
    std::printf("%s\n", out.dump().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (Status s = parse(argc, argv, &a); !s.isOk()) {
    std::cerr << "te_ucx_alloc_bw: " << s.message() << std::endl;
    return 2;
  }
  return run(a);
}
