// What te_bench's subcommands without MPI (compare, report) share: their flags parsed by
// CLI11, --help on stdout, a mistake as one line "te_bench NAME: ..." on stderr.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

namespace te::bench {

struct Subcommand {
  std::string name;  // "compare"
  std::ostream& out;
  std::ostream& err;

  // Says `message` on err, once, and gives back `code`.
  int fail(const std::string& message, int code) const;
  // nullopt: the flags parsed, go on; else the exit code (0 after --help, 2 after a mistake).
  std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) const;
};

}  // namespace te::bench
