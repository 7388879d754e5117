#include "service_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bootstrap/kv/kv_store.h"

extern char** environ;

namespace te::services_test {
namespace {

using namespace std::chrono_literals;

bool inPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv,
                                                  const std::map<std::string, std::string>& env) {
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  char tmpl[] = "/tmp/te_services_out_XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) return nullptr;
  child->output_path_ = tmpl;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    return nullptr;
  }
  if (pid == 0) {
    // A crashed test must not leave servers or ranks behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setpgid(0, 0);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fd);
  child->pid_ = pid;
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (!output_path_.empty()) ::unlink(output_path_.c_str());
}

bool ChildProcess::running() { return !wait(0ms).has_value(); }

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= end) break;
    std::this_thread::sleep_for(10ms);
  }
  return exit_code_;
}

void ChildProcess::kill(int signal) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signal);
}

std::string ChildProcess::output() const {
  std::ifstream in(output_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult runToEnd(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                   const std::map<std::string, std::string>& env) {
  RunResult r;
  const auto t0 = std::chrono::steady_clock::now();
  auto child = ChildProcess::start(argv, env);
  if (!child) return r;
  std::optional<int> code = child->wait(timeout);
  if (!code) {
    child->kill(SIGTERM);  // launch_local.sh stops its ranks on TERM
    code = child->wait(5s);
    if (!code) child->kill(SIGKILL);
    child->wait(5s);
    code = 124;
  }
  r.exit_code = *code;
  r.output = child->output();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string uniqueName(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

std::unique_ptr<ServiceServer> ServiceServer::start(const std::string& kind, std::string* why) {
  const std::string binary = kind == "etcd" ? "etcd" : "redis-server";
  if (!inPath(binary)) {
    *why = binary + " not found in PATH (apt-get install " + (kind == "etcd" ? "etcd-server" : "redis-server") + ")";
    return nullptr;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto server = std::unique_ptr<ServiceServer>(new ServiceServer());
    server->kind_ = kind;
    const int port = freeLoopbackPort();
    std::vector<std::string> argv;
    if (kind == "etcd") {
      const int peer = freeLoopbackPort();
      char tmpl[] = "/tmp/te_services_etcd_XXXXXX";
      if (!::mkdtemp(tmpl)) {
        *why = "mkdtemp failed";
        return nullptr;
      }
      server->data_dir_ = tmpl;
      const std::string client = "http://127.0.0.1:" + std::to_string(port);
      const std::string peer_url = "http://127.0.0.1:" + std::to_string(peer);
      argv = {"etcd", "--name", "n0", "--data-dir", server->data_dir_, "--listen-client-urls", client,
              "--advertise-client-urls", client, "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls",
              peer_url, "--initial-cluster", "n0=" + peer_url, "--log-level", "error"};
      server->url_ = "etcd://127.0.0.1:" + std::to_string(port);
    } else {
      argv = {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
              "no"};
      server->url_ = "redis://127.0.0.1:" + std::to_string(port);
    }
    server->process_ = ChildProcess::start(argv);
    if (!server->process_) {
      *why = "cannot start " + binary;
      return nullptr;
    }
    // Ready when a store connects (etcd: ~1 s; redis: ~0.1 s).
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < end && server->process_->running()) {
      auto store = bootstrap::kv::connectKvStore({server->url_, 10000ms, 500ms});
      if (store.isOk()) return server;
      std::this_thread::sleep_for(100ms);
    }
    *why = binary + " did not become ready: " + server->process_->output().substr(0, 2000);
  }
  return nullptr;
}

ServiceServer::~ServiceServer() {
  if (process_) {
    process_->kill(SIGTERM);
    if (!process_->wait(5s)) process_->kill(SIGKILL);
    process_->wait(5s);
  }
  if (!data_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

void ServiceServer::killNow() {
  if (process_) {
    process_->kill(SIGKILL);
    process_->wait(5s);
  }
}

ServiceServer* sharedServer(const std::string& kind, std::string* why) {
  static std::map<std::string, std::unique_ptr<ServiceServer>> servers;
  static std::map<std::string, std::string> failures;
  if (auto it = servers.find(kind); it != servers.end()) return it->second.get();
  if (auto it = failures.find(kind); it != failures.end()) {
    *why = it->second;
    return nullptr;
  }
  auto server = ServiceServer::start(kind, why);
  if (!server) {
    failures[kind] = *why;
    return nullptr;
  }
  return (servers[kind] = std::move(server)).get();
}

}  // namespace te::services_test
