// ensureOpenFiles: raises the soft open-file limit when the hard one allows, else one line
// with the numbers. Each case runs in a child process, whose limits it may lower.
#include "common/open_files.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace te {
namespace {

// Runs `body` in a child with the soft / hard limits given; the child exits 0 when it passes.
int inChild(rlim_t soft, rlim_t hard, const std::function<bool()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit lim{soft, hard};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(3);
    ::_exit(body() ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

rlim_t softLimit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

TEST(OpenFiles, RaisesTheSoftLimitWhenTheHardOneAllows) {
  EXPECT_EQ(inChild(128, 4096, [] { return ensureOpenFiles(1000, "tcp: test").isOk() && softLimit() >= 1000; }), 0);
}

TEST(OpenFiles, NeedsWithinTheLimitChangeNothing) {
  EXPECT_EQ(inChild(2048, 4096, [] { return ensureOpenFiles(100, "tcp: test").isOk() && softLimit() == 2048; }), 0);
}

TEST(OpenFiles, AHardLimitTooLowIsOneLineWithTheNumbers) {
  EXPECT_EQ(inChild(256, 256, [] {
              Status s = ensureOpenFiles(8184, "4 workers x 1023 peers, both ways,");
              const std::string& m = s.message();
              return s.code() == StatusCode::kUnavailable && m.find('\n') == std::string::npos &&
                     m.find("4 workers x 1023 peers, both ways, needs 8184 open files") == 0 &&
                     m.find("the limit is 256 (hard 256)") != std::string::npos &&
                     m.find("ulimit -n") != std::string::npos && softLimit() == 256;
            }),
            0);
}

}  // namespace
}  // namespace te
