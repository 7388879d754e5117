// Where the fabric's switch tree comes from: --topology FILE, or, in a Slurm job with no
// flag, `scontrol show topology` (clusters with TopologyPlugin=topology/tree).
#pragma once

#include <memory>
#include <string>

#include "bench/analysis/topology_conf.h"
#include "bench/cli/config.h"

namespace te::bench {

// The file parsed; a missing or malformed file is kInvalidArgument naming "--topology PATH"
// (and the line).
Result<std::shared_ptr<const Topology>> loadTopologyFile(const std::string& path);

// Sets config->topology: from --topology (every rank checks the file: a mistake is exit 2
// everywhere), else on the root rank of a Slurm job from scontrol (nothing when the cluster
// has no tree topology or scontrol fails: said once on stderr, the run goes on without).
Status attachTopology(BenchConfig* config, bool root);

}  // namespace te::bench
