#include "common/open_files.h"

#include <dirent.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace te {
namespace {

// Descriptors this process has open now (those of MPI, UCX, the logs...).
uint64_t openNow() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 64;  // a guess where /proc is missing
  uint64_t n = 0;
  while (::readdir(d)) ++n;
  ::closedir(d);
  return n > 3 ? n - 3 : 0;  // ".", ".." and the directory's own descriptor
}

}  // namespace

Status ensureOpenFiles(uint64_t needed, const std::string& what) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return Status::ok();  // cannot tell: let open() say
  const uint64_t want = openNow() + needed + 64;  // headroom for files opened later (reports)
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= want) return Status::ok();
  if (lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= want) {
    rlimit raised = lim;
    raised.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return Status::ok();
  }
  return unavailable(what + " needs " + std::to_string(needed) + " open files, and " +
                     std::to_string(want) + " in all with those open now, but the limit is " +
                     std::to_string(lim.rlim_cur) + " (hard " +
                     (lim.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(lim.rlim_max)) +
                     "): raise `ulimit -n` where the job starts, or lower --threads");
}

}  // namespace te
