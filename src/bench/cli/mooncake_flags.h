// Mooncake's transfer_engine_bench and transfer_engine_bench_v1 command lines in te_bench:
// their gflags declared on the CLI11 app, each mapped onto te_bench's own flag (the value goes
// through that flag's own parsing, as if it had been given last), the one-sided ones
// acknowledged in one line, and Mooncake's MC_* environment named. docs/FROM_MOONCAKE.md is
// the table.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace CLI {
class App;
}

namespace te::bench {

struct BenchConfig;

// What the Mooncake flags collected while CLI11 parsed.
struct MooncakeFlags {
  std::map<std::string, std::string> given;  // by Mooncake flag that takes a value: its last value
  std::map<std::string, bool> switches;       // by Mooncake switch: its last state (given when counted)
  std::string mode;      // --mode target | initiator (te_bench's own --mode is exact | quick)
  int mode_values = 0;   // how many --mode values were Mooncake's
  std::string v1_size;   // v1's --size (request bytes) where the line is a v1 one (te_bench's --size: ranks)
  int size_values = 0;
};

// Declares Mooncake's flags on `app` (a group of their own in --help) and teaches
// te_bench's --mode and --size their Mooncake readings. Call after te_bench's own flags.
void declareMooncakeFlags(CLI::App& app, MooncakeFlags* m);

// After parsing, before te_bench's flags are turned into the config: maps what `m` holds onto
// te_bench's flags, refuses what te_bench cannot do (one line naming the flag, the value and
// the te_bench equivalent) and leaves the notes for the user in c->notices.
Status finishMooncakeFlags(CLI::App& app, const MooncakeFlags& m, BenchConfig* c);

// --metadata_server VALUE as te_bench's --bootstrap: "" for no server (P2PHANDSHAKE), an
// etcd:// or redis:// URL, else kInvalidArgument (http://, other schemes).
Result<std::string> bootstrapForMetadataServer(const std::string& value);
// v1's --metadata_type TYPE with --metadata_servers SERVERS ("" when not given).
Result<std::string> bootstrapForMetadataType(const std::string& type, const std::string& servers);

// "MC_FOO is Mooncake's ...; te_bench ignores it" for the MC_* names te_bench does not honour
// (MC_GID_INDEX, MC_IB_TC, MC_IB_SL and MC_MTU are honoured); "" when there are none.
std::string ignoredMooncakeVariables(const std::vector<std::string>& names);

// What a Mooncake flag allows, for an error naming it; "" for any other flag.
std::string mooncakeAllowedValues(const std::string& flag);

// Prints c.notices, each once per job: by rank 0 (the launcher's, or --rank's), or by every
// process started on its own (where nothing else will say it).
void printNotices(const BenchConfig& c);

}  // namespace te::bench
