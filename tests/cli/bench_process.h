// Runs te_bench (or mpirun) for the CLI tests: argv passed as is, no shell (so '', control
// characters and 10,000-character values arrive untouched), a clean environment, stdout and
// stderr apart, a hard time limit. Safe to call from several threads at once.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace te::testing {

struct BenchRun {
  int exit_code = -1;  // 128 + signal when killed; 124 past the limit
  std::string out, err;
  double seconds = 0;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `env` replaces the environment (PATH is added).
inline BenchRun runProcess(const std::vector<std::string>& argv, std::vector<std::string> env,
                           std::chrono::seconds limit = std::chrono::seconds(30)) {
  BenchRun run;
  char out_path[] = "/tmp/te_cli_out_XXXXXX";
  char err_path[] = "/tmp/te_cli_err_XXXXXX";
  const int out_fd = ::mkstemp(out_path), err_fd = ::mkstemp(err_path);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own group: killed whole past the limit
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_fd);
  ::close(err_fd);
  if (rc == 0) {
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() - start > limit) {
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        run.exit_code = 124;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (run.exit_code != 124) {
      run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  ::unlink(out_path);
  ::unlink(err_path);
  return run;
}

inline size_t countOccurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

inline size_t lineCount(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

}  // namespace te::testing
