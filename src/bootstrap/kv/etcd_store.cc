#include "bootstrap/kv/etcd_store.h"

#include <algorithm>

#include "bootstrap/kv/base64.h"
#include "bootstrap/kv/etcd_client.h"
#include "bootstrap/kv/keep_alive.h"

namespace te::bootstrap::kv {
namespace {

using nlohmann::json;

// etcd's defaults: --max-txn-ops 128, --max-request-bytes 1.5 MiB (base64 counts).
constexpr size_t kMaxTxnOps = 128;
constexpr size_t kMaxTxnBytes = size_t{1} << 20;
constexpr size_t kMaxValueBytes = (size_t{1} << 20) * 3 / 4 - 1024;

// The smallest key greater than every key starting with `prefix` (etcd's prefix range end).
std::string prefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

// One entry of a "kvs" array: key and value decoded (an absent value is the empty one).
Status decodeKv(const json& kv, std::string* key, Bytes* value, int64_t* lease = nullptr) {
  if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string()) {
    return unavailable("etcd answer has a kvs entry without a key");
  }
  std::optional<Bytes> k = base64Decode(kv["key"].get_ref<const std::string&>());
  if (!k) return unavailable("etcd answer has a key that is not base64");
  key->assign(k->begin(), k->end());
  value->clear();
  if (kv.contains("value")) {
    if (!kv["value"].is_string()) return unavailable("etcd answer for key " + *key + " has a non-string value");
    std::optional<Bytes> v = base64Decode(kv["value"].get_ref<const std::string&>());
    if (!v) return unavailable("etcd answer for key " + *key + " has a value that is not base64");
    *value = std::move(*v);
  }
  if (lease && !jsonInt64(kv, "lease", lease)) return unavailable("etcd answer for key " + *key + ": bad lease");
  return Status::ok();
}

// The "kvs" of a range answer; a missing key gives an answer without "kvs".
Result<std::vector<std::pair<std::string, Bytes>>> decodeKvs(const json& range) {
  std::vector<std::pair<std::string, Bytes>> out;
  if (!range.is_object() || !range.contains("kvs")) return out;
  if (!range["kvs"].is_array()) return unavailable("etcd range answer: kvs is not an array");
  for (const auto& kv : range["kvs"]) {
    std::string key;
    Bytes value;
    TE_RETURN_IF_ERROR(decodeKv(kv, &key, &value));
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

bool jsonTrue(const json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

// Strict decimal index in [0, count): "7" yes; "07", "-1", "7/x" no.
bool parseIndex(const std::string& s, int count, int* index) {
  if (s.empty() || s.size() > 9 || (s.size() > 1 && s[0] == '0')) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v >= count) return false;
  *index = v;
  return true;
}

class EtcdStore final : public KvStore {
 public:
  EtcdStore(std::chrono::milliseconds ttl, std::unique_ptr<EtcdClient> client,
            std::unique_ptr<EtcdClient> keepalive_client, int64_t lease)
      : KvStore(ttl), client_(std::move(client)), keepalive_client_(std::move(keepalive_client)), lease_(lease) {
    client_->setStats(&stats_);
    keepalive_ = std::make_unique<KeepAlive>(std::max(ttl / 4, std::chrono::milliseconds(250)), "lease keep-alive",
                                             [this](Deadline d) { return refresh(d); });
  }
  ~EtcdStore() override { keepalive_.reset(); }

  std::string describe() const override { return client_->describe(); }

  Status write(const std::vector<KeyValue>& puts, const std::vector<std::string>& removes,
               Deadline deadline) override {
    if (dropped_) return internalError(describe() + ": write after the lease was revoked");
    json ops = json::array();
    size_t bytes = 0;
    auto flush = [&]() -> Status {
      if (ops.empty()) return Status::ok();
      json body = {{"success", std::move(ops)}};
      ops = json::array();
      bytes = 0;
      TE_ASSIGN_OR_RETURN(json r, client_->post("/v3/kv/txn", body, deadline));
      if (!jsonTrue(r, "succeeded")) return unavailable(describe() + ": txn was not applied");
      return Status::ok();
    };
    auto add = [&](json op, size_t op_bytes) -> Status {
      if (ops.size() == kMaxTxnOps || bytes + op_bytes > kMaxTxnBytes) TE_RETURN_IF_ERROR(flush());
      ops.push_back(std::move(op));
      bytes += op_bytes;
      return Status::ok();
    };
    for (const auto& kv : puts) {
      if (kv.value.size() > kMaxValueBytes) {
        return internalError(describe() + ": value of " + std::to_string(kv.value.size()) + " bytes for " + kv.key +
                             " exceeds what one etcd request carries (" + std::to_string(kMaxValueBytes) + ")");
      }
      std::string k = base64Encode(kv.key), v = base64Encode(kv.value);
      size_t n = k.size() + v.size() + 80;
      TE_RETURN_IF_ERROR(
          add({{"request_put", {{"key", std::move(k)}, {"value", std::move(v)}, {"lease", std::to_string(lease_)}}}},
              n));
    }
    for (const auto& key : removes) {
      std::string k = base64Encode(key);
      size_t n = k.size() + 40;
      TE_RETURN_IF_ERROR(add({{"request_delete_range", {{"key", std::move(k)}}}}, n));
    }
    return flush();
  }

  Result<std::optional<Bytes>> createIfAbsent(const std::string& key, const Bytes& value,
                                              Deadline deadline) override {
    if (dropped_) return internalError(describe() + ": write after the lease was revoked");
    const std::string k = base64Encode(key);
    json body = {
        {"compare", json::array({{{"key", k}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}}})},
        {"success", json::array({{{"request_put",
                                   {{"key", k}, {"value", base64Encode(value)}, {"lease", std::to_string(lease_)}}}}})},
        {"failure", json::array({{{"request_range", {{"key", k}}}}})}};
    // The key may vanish between the compare and our look at it (its lease expired): retry.
    for (int attempt = 0; attempt < 3; ++attempt) {
      TE_ASSIGN_OR_RETURN(json r, client_->post("/v3/kv/txn", body, deadline));
      if (jsonTrue(r, "succeeded")) return std::optional<Bytes>();
      const json* range = txnResponse(r, 0, "response_range");
      if (!range) return unavailable(describe() + ": txn on " + key + ": answer without response_range");
      TE_ASSIGN_OR_RETURN(auto kvs, decodeKvs(*range));
      if (!kvs.empty()) return std::optional<Bytes>(std::move(kvs[0].second));
    }
    return unavailable(describe() + ": create " + key + ": the key keeps appearing and vanishing");
  }

  Result<std::vector<std::optional<Bytes>>> getMany(const std::vector<std::string>& keys,
                                                    Deadline deadline) override {
    std::vector<std::optional<Bytes>> out(keys.size());
    for (size_t first = 0; first < keys.size(); first += kMaxTxnOps) {
      size_t last = std::min(keys.size(), first + kMaxTxnOps);
      json ranges = json::array();
      for (size_t i = first; i < last; ++i) ranges.push_back({{"request_range", {{"key", base64Encode(keys[i])}}}});
      TE_ASSIGN_OR_RETURN(json r, client_->post("/v3/kv/txn", {{"success", std::move(ranges)}}, deadline));
      for (size_t i = first; i < last; ++i) {
        const json* range = txnResponse(r, i - first, "response_range");
        if (!range) return unavailable(describe() + ": txn answer without response_range for " + keys[i]);
        TE_ASSIGN_OR_RETURN(auto kvs, decodeKvs(*range));
        if (kvs.size() > 1 || (kvs.size() == 1 && kvs[0].first != keys[i])) {
          return unavailable(describe() + ": range of " + keys[i] + " answered another key");
        }
        if (!kvs.empty()) out[i] = std::move(kvs[0].second);
      }
    }
    return out;
  }

  Result<std::vector<std::optional<Bytes>>> getIndexed(const std::string& prefix, int count,
                                                       Deadline deadline) override {
    TE_ASSIGN_OR_RETURN(auto kvs, range(prefix, deadline));
    std::vector<std::optional<Bytes>> out(count);
    for (auto& [key, value] : kvs) {
      int index = -1;
      if (key.compare(0, prefix.size(), prefix) != 0 || !parseIndex(key.substr(prefix.size()), count, &index)) {
        return unexpectedKey(key, prefix, count);
      }
      out[index] = std::move(value);
    }
    return out;
  }

  Result<std::vector<bool>> presentIndexed(const std::string& prefix, int count, Deadline deadline) override {
    TE_ASSIGN_OR_RETURN(auto kvs, range(prefix, deadline, /*keys_only=*/true));
    std::vector<bool> out(count);
    for (auto& [key, value] : kvs) {
      int index = -1;
      if (key.compare(0, prefix.size(), prefix) != 0 || !parseIndex(key.substr(prefix.size()), count, &index)) {
        return unexpectedKey(key, prefix, count);
      }
      out[index] = true;
    }
    return out;
  }

  Result<std::map<std::string, Bytes>> list(const std::string& prefix, Deadline deadline) override {
    TE_ASSIGN_OR_RETURN(auto kvs, range(prefix, deadline));
    std::map<std::string, Bytes> out;
    for (auto& [key, value] : kvs) out.emplace(std::move(key), std::move(value));
    return out;
  }

  Status removePrefix(const std::string& prefix, Deadline deadline) override {
    json body = {{"key", base64Encode(prefix)}, {"range_end", base64Encode(prefixEnd(prefix))}};
    return client_->post("/v3/kv/deleterange", body, deadline).status();
  }

  Result<std::optional<TimedValue>> getWithTtl(const std::string& key, Deadline deadline) override {
    using Out = std::optional<TimedValue>;
    TE_ASSIGN_OR_RETURN(json r, client_->post("/v3/kv/range", {{"key", base64Encode(key)}}, deadline));
    if (!r.contains("kvs") || !r["kvs"].is_array() || r["kvs"].empty()) return Out();
    std::string k;
    TimedValue out;
    int64_t lease = 0;
    TE_RETURN_IF_ERROR(decodeKv(r["kvs"][0], &k, &out.value, &lease));
    if (lease == 0) {
      out.ttl = std::chrono::milliseconds::max();
      return Out(std::move(out));
    }
    // A second request: the range answer names the lease, not its time to live.
    TE_ASSIGN_OR_RETURN(json t, client_->post("/v3/lease/timetolive", {{"ID", std::to_string(lease)}}, deadline));
    int64_t seconds = 0;
    if (!jsonInt64(t, "TTL", &seconds)) return unavailable(describe() + ": lease timetolive: bad TTL");
    out.ttl = std::chrono::seconds(std::max<int64_t>(seconds, 0));
    return Out(std::move(out));
  }

  Status dropOwnKeys(Deadline deadline) override {
    keepalive_.reset();
    if (dropped_) return Status::ok();
    dropped_ = true;
    return client_->post("/v3/lease/revoke", {{"ID", std::to_string(lease_)}}, deadline).status();
  }

 private:
  // responses[i][field] of a txn answer, or nullptr.
  static const json* txnResponse(const json& r, size_t i, const char* field) {
    if (!r.contains("responses") || !r["responses"].is_array() || r["responses"].size() <= i) return nullptr;
    const json& entry = r["responses"][i];
    if (!entry.is_object() || !entry.contains(field) || !entry[field].is_object()) return nullptr;
    return &entry[field];
  }

  Status unexpectedKey(const std::string& key, const std::string& prefix, int count) const {
    return internalError(describe() + ": unexpected key " + key + " under " + prefix + " (expected " + prefix +
                         "0.." + std::to_string(count - 1) + "; planted by hand or by another program?)");
  }

  Result<std::vector<std::pair<std::string, Bytes>>> range(const std::string& prefix, Deadline deadline,
                                                           bool keys_only = false) {
    json body = {{"key", base64Encode(prefix)}, {"range_end", base64Encode(prefixEnd(prefix))}};
    if (keys_only) body["keys_only"] = true;
    TE_ASSIGN_OR_RETURN(json r, client_->post("/v3/kv/range", body, deadline));
    return decodeKvs(r);
  }

  Status refresh(Deadline deadline) {
    TE_ASSIGN_OR_RETURN(json r, keepalive_client_->post("/v3/lease/keepalive", {{"ID", std::to_string(lease_)}},
                                                        deadline));
    int64_t ttl = 0;
    const json& result = r.contains("result") ? r["result"] : r;
    if (!jsonInt64(result, "TTL", &ttl) || ttl <= 0) {
      return unavailable(keepalive_client_->describe() + ": lease " + std::to_string(lease_) + " has expired");
    }
    return Status::ok();
  }

  std::unique_ptr<EtcdClient> client_;            // the caller's thread
  std::unique_ptr<EtcdClient> keepalive_client_;  // the keep-alive thread
  const int64_t lease_;
  bool dropped_ = false;
  std::unique_ptr<KeepAlive> keepalive_;  // last: started once everything it uses exists
};

}  // namespace

Result<KvStorePtr> connectEtcd(const KvStoreOptions& options) {
  TE_ASSIGN_OR_RETURN(KvUrl url, parseKvUrl(options.url));
  TE_ASSIGN_OR_RETURN(auto client, EtcdClient::create(url.endpoints, options.connect_timeout, nullptr));
  TE_ASSIGN_OR_RETURN(auto keepalive_client, EtcdClient::create(url.endpoints, options.connect_timeout, nullptr));
  const int64_t ttl_s = std::max<int64_t>(2, std::chrono::duration_cast<std::chrono::seconds>(options.ttl).count());
  Result<json> r = client->post("/v3/lease/grant", {{"TTL", std::to_string(ttl_s)}},
                                Clock::now() + options.connect_timeout);
  if (!r.isOk()) return r.status().withContext("lease grant");
  int64_t lease = 0, granted = 0;
  if (!jsonInt64(*r, "ID", &lease) || lease == 0 || !jsonInt64(*r, "TTL", &granted) || granted <= 0) {
    return unavailable(client->describe() + ": lease grant: unexpected answer " + r->dump());
  }
  return KvStorePtr(std::make_unique<EtcdStore>(std::chrono::seconds(granted), std::move(client),
                                                std::move(keepalive_client), lease));
}

}  // namespace te::bootstrap::kv
