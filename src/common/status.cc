#include "common/status.h"

#include <cstring>

namespace te {

const char* statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kTryAgain: return "TRY_AGAIN";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
  }
  return "UNKNOWN";
}

std::string Status::toString() const {
  if (isOk()) return "OK";
  return message_;
}

Status Status::withContext(const std::string& context) const {
  if (isOk()) return *this;
  // A message that already starts with this context ("verbs: ..." given "verbs") keeps it once.
  if (message_.size() > context.size() + 2 && message_.compare(0, context.size(), context) == 0 &&
      message_.compare(context.size(), 2, ": ") == 0) {
    return *this;
  }
  return Status(code_, context + ": " + message_);
}

Status errnoStatus(const std::string& what, int err, StatusCode code) {
  return Status(code, what + ": " + std::strerror(err));
}

}  // namespace te
