// Rank- and host-prefixed logging: TE_LOG(INFO) << "..."; prints "[rank 3 node07] I ...".
// Level from --log-level or TE_LOG_LEVEL (via launcher_env). Not for the data path.
#pragma once

#include <atomic>
#include <sstream>
#include <string>

namespace te {

enum class LogLevel { DEBUG = 0, INFO = 1, WARN = 2, ERROR = 3, OFF = 4 };

bool parseLogLevel(const std::string& text, LogLevel* out);
const char* logLevelName(LogLevel level);

void setLogLevel(LogLevel level);
LogLevel logLevel();
// Called once the rank and host are known; before that the prefix is the host only.
void setLogIdentity(int rank, const std::string& host);

class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  template <typename T>
  LogLine& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Counts repeats of a warning; true for the first occurrence (log it), false afterwards.
bool firstOccurrence(std::atomic<uint64_t>& counter);

}  // namespace te

namespace te {
// Lets TE_LOG be an expression (safe inside an unbraced if / else).
struct LogVoidify {
  void operator&(const LogLine&) {}
};
}  // namespace te

#define TE_LOG(level)                                   \
  (::te::LogLevel::level < ::te::logLevel())            \
      ? (void)0                                         \
      : ::te::LogVoidify() & ::te::LogLine(::te::LogLevel::level, __FILE__, __LINE__)
