// A libcurl client for etcd's v3 JSON gateway: POST a JSON body to one of the endpoints
// (the next one when a connection fails), parse the JSON answer, turn HTTP and gRPC errors
// into a Status that names the url and curl's or etcd's own words.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootstrap/kv/kv_store.h"
#include "bootstrap/kv/kv_url.h"

namespace te::bootstrap::kv {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

class EtcdClient {
 public:
  // One client per thread (a curl easy handle is not shared); it keeps its connection open.
  static Result<std::unique_ptr<EtcdClient>> create(const std::vector<HostPort>& endpoints,
                                                    std::chrono::milliseconds connect_timeout, KvStats* stats);

  // POSTs `body` to `path` ("/v3/kv/range"); the answer's JSON object on HTTP 200.
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body, Deadline deadline);
  std::string describe() const;  // "etcd http://h:p[,http://h:p]"
  void setStats(KvStats* stats) { stats_ = stats; }

 private:
  EtcdClient(std::vector<std::string> base_urls, std::chrono::milliseconds connect_timeout, KvStats* stats,
             CurlPtr curl, CurlSlistPtr headers)
      : base_urls_(std::move(base_urls)), connect_timeout_(connect_timeout), stats_(stats),
        curl_(std::move(curl)), headers_(std::move(headers)) {}
  Result<nlohmann::json> postTo(size_t endpoint, const std::string& path, const std::string& body, Deadline deadline,
                                bool* connect_failed);

  std::vector<std::string> base_urls_;  // "http://127.0.0.1:2379"
  size_t current_ = 0;                  // endpoint that answered last
  std::chrono::milliseconds connect_timeout_;
  KvStats* stats_;
  CurlPtr curl_;
  CurlSlistPtr headers_;
};

// int64 fields come as strings in the gateway's JSON ("123"); absent means 0 (proto3).
bool jsonInt64(const nlohmann::json& object, const char* field, int64_t* out);

}  // namespace te::bootstrap::kv
