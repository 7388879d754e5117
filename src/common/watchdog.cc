// The test hook of watchdog.h.
#include "common/watchdog.h"

#include <signal.h>

#include <string>

#include "common/launcher_env.h"

namespace te {

void stopHereForTests(const char* stage) {
  const LauncherEnv& env = launcherEnv();
  if (env.rank) stopHereForTests(stage, *env.rank);
}

void stopHereForTests(const char* stage, int rank) {
  const LauncherEnv& env = launcherEnv();
  if (env.test_stop_at.empty()) return;
  const std::string here = std::string(stage) + ":" + std::to_string(rank);
  if (env.test_stop_at == here) ::raise(SIGSTOP);
  if (env.test_stop_at == here + ":kill") ::raise(SIGKILL);
}

}  // namespace te
