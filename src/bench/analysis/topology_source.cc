// --topology FILE and `scontrol show topology` (see topology_source.h).
#include "bench/analysis/topology_source.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/launcher_env.h"

namespace te::bench {
namespace {

constexpr const char* kScontrolSource = "scontrol show topology";

// stdout of `scontrol show topology`, bounded by `timeout` (slurmctld may be unreachable).
std::string scontrolTopology() {
  FILE* pipe = ::popen("timeout 10 scontrol show topology 2>/dev/null", "r");
  if (!pipe) return "";
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), pipe)) > 0;) out.append(buf, n);
  return ::pclose(pipe) == 0 ? out : "";
}

}  // namespace

Result<std::shared_ptr<const Topology>> loadTopologyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return invalidArgument("--topology " + path + ": cannot read the file; allowed a Slurm topology.conf");
  std::stringstream text;
  text << in.rdbuf();
  Result<Topology> parsed = Topology::parse(text.str(), path);
  if (!parsed.isOk()) return parsed.status().withContext("--topology");
  return std::make_shared<const Topology>(std::move(*parsed));
}

Status attachTopology(BenchConfig* config, bool root) {
  if (!config->topology_path.empty()) {
    TE_ASSIGN_OR_RETURN(config->topology, loadTopologyFile(config->topology_path));
    return Status::ok();
  }
  if (!root || config->env.slurm_job_id.empty()) return Status::ok();
  const std::string text = scontrolTopology();
  if (text.find("SwitchName=") == std::string::npos) return Status::ok();  // not topology/tree
  Result<Topology> parsed = Topology::parse(text, kScontrolSource);
  if (!parsed.isOk()) {
    std::cerr << "te_bench: warning: " << parsed.status().message() << ": verdicts without the switch tree" << std::endl;
    return Status::ok();
  }
  config->topology = std::make_shared<const Topology>(std::move(*parsed));
  return Status::ok();
}

}  // namespace te::bench
