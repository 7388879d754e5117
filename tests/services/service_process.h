// Real etcd and redis servers for the services tests, started on free loopback ports (the
// commands of docs ENVIRONMENT.md), ready when a KvStore connects, stopped at exit; and a
// small child-process helper (output to a file, waits with deadlines, kill by pid).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace te::services_test {

class ChildProcess {
 public:
  // argv[0] is looked up in PATH. Output (stdout and stderr) goes to a temporary file.
  static std::unique_ptr<ChildProcess> start(const std::vector<std::string>& argv,
                                             const std::map<std::string, std::string>& env = {});
  ~ChildProcess();  // kills (SIGKILL) a child still running

  pid_t pid() const { return pid_; }
  bool running();
  // Exit code (128 + signal when killed), or nullopt if still running at the timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void kill(int signal);
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string output_path_;
};

// Runs to completion (killed at the timeout: exit code 124 then).
struct RunResult {
  int exit_code = -1;
  std::string output;
  double seconds = 0;
};
RunResult runToEnd(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                   const std::map<std::string, std::string>& env = {});

// One server process. kind: "etcd" | "redis".
class ServiceServer {
 public:
  // Empty result with *why set when the binary is missing or the server does not start.
  static std::unique_ptr<ServiceServer> start(const std::string& kind, std::string* why);
  ~ServiceServer();

  const std::string& url() const { return url_; }  // "etcd://127.0.0.1:P" / "redis://127.0.0.1:P"
  void killNow();  // SIGKILL, for the "server dies" tests

 private:
  std::string kind_;
  std::string url_;
  std::string data_dir_;
  std::unique_ptr<ChildProcess> process_;
};

// The shared server of a kind, started on first use (nullptr, with the reason, if it cannot be).
ServiceServer* sharedServer(const std::string& kind, std::string* why);

int freeLoopbackPort();
std::string uniqueName(const std::string& stem);  // "stem-<pid>-<counter>"

}  // namespace te::services_test
