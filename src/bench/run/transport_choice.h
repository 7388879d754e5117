// Picks the transport every rank can run: --transport NAME checked by its probe on every
// rank, or --transport auto = the most preferred transport whose probe passes on all ranks.
#pragma once

#include <string>

#include "bench/cli/config.h"
#include "bootstrap/bootstrap.h"

namespace te::bench {

struct TransportChoice {
  std::string name;
  std::string note;  // why better transports were skipped (auto), for a one-line notice
};

// `requested`: "auto" or one transport name.
Result<TransportChoice> chooseTransport(const std::string& requested, const BenchConfig& config,
                                        bootstrap::Bootstrap& bootstrap);

// --transport all / a list: every transport that works on every rank, in the order given;
// `skipped` collects the reasons for the others ("all") — for a list, any failure is an error.
Result<std::vector<std::string>> chooseTransports(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                                  std::string* skipped);

}  // namespace te::bench
