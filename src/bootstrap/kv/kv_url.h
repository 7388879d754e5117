// Parsing of --bootstrap urls for the KV stores: "etcd://host:port[,host:port...]",
// "redis://host:port"; IPv6 hosts in brackets ("[::1]:2379").
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace te::bootstrap::kv {

struct HostPort {
  std::string host;  // without brackets
  int port = 0;
  std::string text() const;  // "host:port" ("[::1]:2379" for IPv6)
};

struct KvUrl {
  std::string scheme;  // "etcd", "redis"
  std::vector<HostPort> endpoints;
};

// kInvalidArgument naming the url and what is wrong with it.
Result<KvUrl> parseKvUrl(const std::string& url);

}  // namespace te::bootstrap::kv
