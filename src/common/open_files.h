// The open-file limit against what a transport needs: TCP opens a socket per worker, peer
// and direction (8,184 for 4 threads at 1024 ranks), past the soft limit of 1024 that many
// nodes start jobs with. The soft limit is raised to what is needed when the hard limit
// allows (as a shell's `ulimit -n` would); otherwise one line says what is needed and why.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace te {

// `needed` descriptors beyond those already open; `what` says for what ("4 workers x 1023
// peers, both ways,"). kUnavailable when the hard limit is too low.
Status ensureOpenFiles(uint64_t needed, const std::string& what);

}  // namespace te
