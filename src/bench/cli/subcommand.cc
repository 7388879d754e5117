#include "bench/cli/subcommand.h"

namespace te::bench {

int Subcommand::fail(const std::string& message, int code) const {
  err << "te_bench " << name << ": " << message << std::endl;
  return code;
}

std::optional<int> Subcommand::parse(CLI::App& app, int argc, const char* const* argv) const {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    const std::string what = e.what();
    return fail(what.substr(0, what.find('\n')), 2);
  }
  return std::nullopt;
}

}  // namespace te::bench
