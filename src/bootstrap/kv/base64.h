// Standard base64 (RFC 4648, with padding) for the etcd JSON gateway, which carries keys and
// values base64-encoded. Decoding is strict: a foreign or truncated value is an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/collective.h"

namespace te::bootstrap::kv {

std::string base64Encode(const uint8_t* data, size_t size);
inline std::string base64Encode(std::string_view s) {
  return base64Encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string base64Encode(const Bytes& b) { return base64Encode(b.data(), b.size()); }

// nullopt for a character outside the alphabet, a wrong length or misplaced padding.
std::optional<Bytes> base64Decode(std::string_view text);

}  // namespace te::bootstrap::kv
