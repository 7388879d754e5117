// Run under mpirun -np N (N >= 3): the MPI bootstrap's collectives with parts of different
// sizes (empty, a few bytes, 1 MiB), gather (MPI_Igatherv, to the root alone) to every root
// included: the root gets every part intact, the others nothing. Exit 0 when all hold, else
// 1 with a line naming what did not.
#include <cstdio>
#include <cstdlib>

#include "bootstrap/mpi/mpi_bootstrap.h"

namespace {

using te::Bytes;

Bytes part(int from, int to) {
  const size_t n = from == 1 ? 0 : from == 2 ? (1u << 20) : 17;
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + from * 7 + to);
  return b;
}

te::Status check(te::bootstrap::Bootstrap& bs) {
  const int me = bs.rank(), n = bs.size();
  auto deadline = [] { return te::Clock::now() + std::chrono::seconds(30); };
  for (int root = 0; root < n; ++root) {
    TE_ASSIGN_OR_RETURN(std::vector<Bytes> got, bs.gather(part(me, root), root, deadline()));
    if (me != root && !got.empty()) return te::internalError("gather to " + std::to_string(root) + ": a non-root received");
    if (me != root) continue;
    if (static_cast<int>(got.size()) != n) return te::internalError("gather: " + std::to_string(got.size()) + " parts");
    for (int r = 0; r < n; ++r) {
      if (got[r] != part(r, root)) return te::internalError("gather to " + std::to_string(root) + ": part of rank " + std::to_string(r));
    }
  }
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, bs.allGather(part(me, -1), deadline()));
  for (int r = 0; r < n; ++r) {
    if (all[r] != part(r, -1)) return te::internalError("allGather: part of rank " + std::to_string(r));
  }
  return bs.barrier(deadline());
}

}  // namespace

// mpi_bootstrap_check [ROUND_LIMIT]: with a limit, gathers go in rounds of at most that many
// bytes (one rank's 1 MiB part alone is one round).
int main(int argc, char** argv) {
  if (argc > 1) te::bootstrap::setMpiGatherRoundLimitForTests(std::strtoull(argv[1], nullptr, 10));
  auto bs = te::bootstrap::createMpiBootstrap(te::Clock::now() + std::chrono::seconds(30), te::launcherEnv());
  if (!bs.isOk()) {
    std::fprintf(stderr, "mpi_bootstrap_check: %s\n", bs.status().message().c_str());
    return 1;
  }
  te::Status s = check(**bs);
  if (!s.isOk()) {
    std::fprintf(stderr, "mpi_bootstrap_check: rank %d: %s\n", (*bs)->rank(), s.message().c_str());
    return 1;
  }
  if ((*bs)->rank() == 0) std::printf("mpi_bootstrap_check: %d ranks ok\n", (*bs)->size());
  return 0;
}
