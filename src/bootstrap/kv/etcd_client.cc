#include "bootstrap/kv/etcd_client.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace te::bootstrap::kv {
namespace {

// A gateway answer larger than this is not from etcd answering us (or a runaway range).
constexpr size_t kMaxResponseBytes = size_t{256} << 20;
// Each request may take at least this long, so that a last look after a deadline (to name
// the missing ranks) still gets an answer; and at most this long, so that a server that
// stops answering turns into an error well before a long --bootstrap-timeout.
constexpr auto kMinRequestTime = std::chrono::milliseconds(1000);
constexpr auto kMaxRequestTime = std::chrono::milliseconds(15000);

size_t appendBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t n = size * nmemb;
  if (out->size() + n > kMaxResponseBytes) return 0;  // curl reports CURLE_WRITE_ERROR
  out->append(data, n);
  return n;
}

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string clip(const std::string& s, size_t n = 200) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

}  // namespace

bool jsonInt64(const nlohmann::json& object, const char* field, int64_t* out) {
  if (!object.is_object()) return false;
  auto it = object.find(field);
  if (it == object.end()) {
    *out = 0;
    return true;
  }
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return true;
  }
  if (!it->is_string()) return false;
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > 20) return false;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

Result<std::unique_ptr<EtcdClient>> EtcdClient::create(const std::vector<HostPort>& endpoints,
                                                       std::chrono::milliseconds connect_timeout, KvStats* stats) {
  initCurlOnce();
  CurlPtr curl(curl_easy_init());
  if (!curl) return internalError("curl_easy_init failed");
  CurlSlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  if (!headers) return internalError("curl_slist_append failed");
  std::vector<std::string> urls;
  for (const auto& e : endpoints) urls.push_back("http://" + e.text());
  return std::unique_ptr<EtcdClient>(
      new EtcdClient(std::move(urls), connect_timeout, stats, std::move(curl), std::move(headers)));
}

std::string EtcdClient::describe() const {
  std::string out = "etcd ";
  for (size_t i = 0; i < base_urls_.size(); ++i) out += (i ? "," : "") + base_urls_[i];
  return out;
}

Result<nlohmann::json> EtcdClient::post(const std::string& path, const nlohmann::json& body, Deadline deadline) {
  const std::string text = body.dump();
  std::string errors;
  for (size_t attempt = 0; attempt < base_urls_.size(); ++attempt) {
    size_t endpoint = (current_ + attempt) % base_urls_.size();
    bool connect_failed = false;
    Result<nlohmann::json> r = postTo(endpoint, path, text, deadline, &connect_failed);
    if (r.isOk() || !connect_failed) {
      if (r.isOk()) current_ = endpoint;
      return r;
    }
    errors += (errors.empty() ? "" : "; ") + r.status().message();
  }
  return unavailable(errors);
}

Result<nlohmann::json> EtcdClient::postTo(size_t endpoint, const std::string& path, const std::string& body,
                                          Deadline deadline, bool* connect_failed) {
  CURL* c = curl_.get();
  const std::string url = base_urls_[endpoint] + path;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  auto timeout = std::clamp(left, kMinRequestTime, kMaxRequestTime);
  std::string response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: threads are in use
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(timeout, connect_timeout_).count()));
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  CURLcode rc = curl_easy_perform(c);
  if (stats_) {
    ++stats_->round_trips;
    stats_->bytes_sent += body.size();
    stats_->bytes_received += response.size();
  }
  if (rc != CURLE_OK) {
    // Only when nothing was sent may another endpoint take the request (a write is not
    // repeated on a second server after the first may have applied it).
    curl_off_t connected_us = 0;
    curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected_us);
    *connect_failed = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                      (rc == CURLE_OPERATION_TIMEDOUT && connected_us == 0);
    std::string detail = errbuf[0] ? std::string(" (") + errbuf + ")" : "";
    return unavailable("etcd " + url + ": " + curl_easy_strerror(rc) + detail);
  }
  long http = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
  nlohmann::json j = nlohmann::json::parse(response, nullptr, /*allow_exceptions=*/false);
  if (http != 200) {
    std::string message = j.is_object() && j.contains("message") && j["message"].is_string()
                              ? j["message"].get<std::string>()
                              : clip(response);
    return unavailable("etcd " + url + ": HTTP " + std::to_string(http) + ": " + message);
  }
  if (!j.is_object()) return unavailable("etcd " + url + ": answer is not a JSON object: " + clip(response));
  return j;
}

}  // namespace te::bootstrap::kv
