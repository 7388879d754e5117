// Picks the transport every rank can run: --transport NAME checked by its probe on every
// rank, or --transport auto = the most preferred transport whose probe passes on all ranks.
#pragma once

#include <string>

#include "bench/config.h"
#include "bootstrap/bootstrap.h"

namespace te::bench {

struct TransportChoice {
  std::string name;
  std::string note;  // why better transports were skipped (auto), for a one-line notice
};

Result<TransportChoice> chooseTransport(const BenchConfig& config, bootstrap::Bootstrap& bootstrap);

}  // namespace te::bench
