// Status / Result<T>: the error vocabulary of every layer (no exceptions below main).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace te {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // a user's mistake: exit code 2
  kNotFound,
  kUnavailable,       // environment: no device, server unreachable, peer gone
  kDeadlineExceeded,  // a wait ran past its deadline
  kTryAgain,          // queue full: post later
  kDataLoss,          // integrity check failed
  kInternal,
  kUnimplemented,     // this build or this memory kind lacks the feature
};

const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string toString() const;

  // Prefix the message with context ("connect to rank 3 (node07): ...").
  Status withContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status deadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status tryAgain(std::string m = "queue full") { return {StatusCode::kTryAgain, std::move(m)}; }
inline Status internalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status notFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status dataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }

// errno-based failure: "<what>: <strerror(err)>".
Status errnoStatus(const std::string& what, int err, StatusCode code = StatusCode::kUnavailable);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.isOk()); }  // NOLINT

  bool isOk() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T operator*() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace te

#define TE_STATUS_CONCAT_INNER(a, b) a##b
#define TE_STATUS_CONCAT(a, b) TE_STATUS_CONCAT_INNER(a, b)

#define TE_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::te::Status te_status_tmp_ = (expr);        \
    if (!te_status_tmp_.isOk()) return te_status_tmp_; \
  } while (0)

#define TE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.isOk()) return tmp.status();          \
  lhs = std::move(tmp).value()

#define TE_ASSIGN_OR_RETURN(lhs, expr) \
  TE_ASSIGN_OR_RETURN_IMPL(TE_STATUS_CONCAT(te_result_tmp_, __LINE__), lhs, expr)
