// Shared pieces of the services tests: the backend parameter ("etcd" / "redis"), skipping
// with the reason when a backend is not built or its server cannot start, and stores.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "bootstrap/kv/kv_store.h"
#include "service_process.h"

namespace te::services_test {

inline bool backendBuilt(const std::string& kind, std::string* why) {
  for (const auto& b : bootstrap::kv::kvBackends()) {
    if (kind == b.scheme) {
      if (!b.connect) *why = kind + " bootstrap not built: " + b.missing_reason;
      return b.connect != nullptr;
    }
  }
  *why = kind + " unknown";
  return false;
}

class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!backendBuilt(GetParam(), &why)) GTEST_SKIP() << why;
    server_ = sharedServer(GetParam(), &why);
    if (!server_) GTEST_SKIP() << why;
  }

  const std::string& url() const { return server_->url(); }

  bootstrap::kv::KvStorePtr connect(std::chrono::milliseconds ttl = std::chrono::milliseconds(10000)) {
    auto store = bootstrap::kv::connectKvStore({url(), ttl, std::chrono::milliseconds(2000)});
    EXPECT_TRUE(store.isOk()) << store.status().message();
    return store.isOk() ? std::move(store).value() : nullptr;
  }

  ServiceServer* server_ = nullptr;
};

inline std::string backendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

inline Bytes bytesOf(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace te::services_test
