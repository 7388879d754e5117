// Runs a shell command for a test: its own process group, output captured to a string, a
// hard time limit (the whole group is killed past it), the exit code back.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace te::testing {

struct CommandResult {
  int exit_code = -1;      // 124 when it ran past the limit
  std::string output;      // stdout and stderr together
  double seconds = 0;
  bool timed_out = false;
};

inline std::string tempPath(const std::string& stem) {
  static int counter = 0;
  return "/tmp/te_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + stem;
}

inline CommandResult runCommand(const std::string& command, std::chrono::seconds limit,
                                pid_t* pid_out = nullptr) {
  CommandResult result;
  const std::string out_path = tempPath("out.txt");
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    std::string full = "exec > '" + out_path + "' 2>&1; " + command;
    ::execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  if (pid_out) *pid_out = pid;
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() - start > limit) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.timed_out) {
    result.exit_code = 124;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  std::ifstream f(out_path);
  std::stringstream ss;
  ss << f.rdbuf();
  result.output = ss.str();
  std::remove(out_path.c_str());
  return result;
}

inline size_t countOccurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace te::testing
