#include "bootstrap/kv/kv_records.h"

#include <cstdio>

#include "common/bytes.h"

namespace te::bootstrap::kv {
namespace {

constexpr uint32_t kMagic = 0x5645'4b54;  // "TKEV"
constexpr uint8_t kVersion = 1;
constexpr size_t kMaxHost = 255;
constexpr size_t kMaxMessage = 4096;
constexpr int32_t kMaxRanks = 1 << 20;

enum class Kind : uint8_t { kEpoch = 1, kClaim = 2, kRoster = 3, kAbort = 4, kOp = 5 };

const char* kindName(Kind k) {
  switch (k) {
    case Kind::kEpoch: return "epoch";
    case Kind::kClaim: return "rank claim";
    case Kind::kRoster: return "roster";
    case Kind::kAbort: return "abort record";
    case Kind::kOp: return "collective value";
  }
  return "?";
}

ByteWriter header(Kind kind) {
  ByteWriter w;
  w.put<uint32_t>(kMagic).put<uint8_t>(kVersion).put<uint8_t>(static_cast<uint8_t>(kind));
  return w;
}

void putIdentity(ByteWriter& w, const Identity& id) {
  w.putString(id.host).put<int32_t>(id.pid).put<uint64_t>(id.instance);
}

Status malformed(Kind kind, const std::string& why) {
  return internalError(std::string("not a te_bench ") + kindName(kind) + " (" + why + ")");
}

Status checkHeader(ByteReader& r, Kind kind) {
  uint32_t magic = 0;
  uint8_t version = 0, k = 0;
  if (!r.get(&magic) || magic != kMagic) return malformed(kind, "bad magic");
  if (!r.get(&version) || version != kVersion) {
    return malformed(kind, "format version " + std::to_string(version) + ", this te_bench reads " +
                               std::to_string(kVersion));
  }
  if (!r.get(&k) || k != static_cast<uint8_t>(kind)) return malformed(kind, "wrong record kind " + std::to_string(k));
  return Status::ok();
}

bool getIdentity(ByteReader& r, Identity* id) {
  return r.getString(&id->host, kMaxHost) && r.get(&id->pid) && r.get(&id->instance);
}

}  // namespace

std::string Identity::text() const { return "host " + host + " pid " + std::to_string(pid); }

Bytes encodeEpoch(const EpochRecord& e) {
  ByteWriter w = header(Kind::kEpoch);
  w.put<uint64_t>(e.epoch).put<int32_t>(e.size);
  putIdentity(w, e.owner);
  return w.take();
}

Bytes encodeClaim(const ClaimRecord& c) {
  ByteWriter w = header(Kind::kClaim);
  w.put<uint64_t>(c.epoch).put<int32_t>(c.rank).put<int32_t>(c.size);
  putIdentity(w, c.who);
  return w.take();
}

Bytes encodeRoster(const RosterRecord& ro) {
  ByteWriter w = header(Kind::kRoster);
  w.put<uint64_t>(ro.epoch).put<int32_t>(static_cast<int32_t>(ro.ranks.size()));
  for (const auto& id : ro.ranks) putIdentity(w, id);
  return w.take();
}

Bytes encodeAbort(const AbortRecord& a) {
  ByteWriter w = header(Kind::kAbort);
  w.put<int32_t>(a.rank).put<int32_t>(a.exit_code).putString(a.host).putString(a.message.substr(0, kMaxMessage));
  return w.take();
}

Bytes encodeOpValue(uint64_t epoch, uint64_t op, int32_t from, uint64_t instance, const Bytes& payload) {
  ByteWriter w = header(Kind::kOp);
  w.put<uint64_t>(epoch).put<uint64_t>(op).put<int32_t>(from).put<uint64_t>(instance).putBytes(payload);
  return w.take();
}

Result<EpochRecord> decodeEpoch(const Bytes& value) {
  ByteReader r(value);
  TE_RETURN_IF_ERROR(checkHeader(r, Kind::kEpoch));
  EpochRecord e;
  if (!r.get(&e.epoch) || !r.get(&e.size) || !getIdentity(r, &e.owner) || !r.done()) {
    return malformed(Kind::kEpoch, "truncated or too long");
  }
  if (e.epoch == 0 || e.size < 1 || e.size > kMaxRanks) return malformed(Kind::kEpoch, "size out of range");
  return e;
}

Result<ClaimRecord> decodeClaim(const Bytes& value) {
  ByteReader r(value);
  TE_RETURN_IF_ERROR(checkHeader(r, Kind::kClaim));
  ClaimRecord c;
  if (!r.get(&c.epoch) || !r.get(&c.rank) || !r.get(&c.size) || !getIdentity(r, &c.who) || !r.done()) {
    return malformed(Kind::kClaim, "truncated or too long");
  }
  if (c.size < 1 || c.size > kMaxRanks || c.rank < 0 || c.rank >= c.size) {
    return malformed(Kind::kClaim, "rank or size out of range");
  }
  return c;
}

Result<RosterRecord> decodeRoster(const Bytes& value) {
  ByteReader r(value);
  TE_RETURN_IF_ERROR(checkHeader(r, Kind::kRoster));
  RosterRecord ro;
  int32_t n = 0;
  if (!r.get(&ro.epoch) || !r.get(&n) || n < 1 || n > kMaxRanks) return malformed(Kind::kRoster, "bad size");
  ro.ranks.resize(n);
  for (auto& id : ro.ranks) {
    if (!getIdentity(r, &id)) return malformed(Kind::kRoster, "truncated");
  }
  if (!r.done()) return malformed(Kind::kRoster, "trailing bytes");
  return ro;
}

Result<AbortRecord> decodeAbort(const Bytes& value) {
  ByteReader r(value);
  TE_RETURN_IF_ERROR(checkHeader(r, Kind::kAbort));
  AbortRecord a;
  if (!r.get(&a.rank) || !r.get(&a.exit_code) || !r.getString(&a.host, kMaxHost) ||
      !r.getString(&a.message, kMaxMessage) || !r.done()) {
    return malformed(Kind::kAbort, "truncated or too long");
  }
  return a;
}

Result<Bytes> decodeOpValue(const Bytes& value, uint64_t epoch, uint64_t op, int32_t from, uint64_t instance) {
  ByteReader r(value);
  TE_RETURN_IF_ERROR(checkHeader(r, Kind::kOp));
  uint64_t e = 0, o = 0, inst = 0;
  int32_t f = -1;
  Bytes payload;
  if (!r.get(&e) || !r.get(&o) || !r.get(&f) || !r.get(&inst) || !r.getBytes(&payload, value.size()) || !r.done()) {
    return malformed(Kind::kOp, "truncated or too long");
  }
  if (e != epoch || o != op || f != from || inst != instance) {
    return malformed(Kind::kOp, "written for epoch/op/rank " + std::to_string(e) + "/" + std::to_string(o) + "/" +
                                    std::to_string(f) + ", expected " + std::to_string(epoch) + "/" +
                                    std::to_string(op) + "/" + std::to_string(from) +
                                    (inst != instance ? " (or by another process)" : ""));
  }
  return payload;
}

bool validJobId(const std::string& job_id) {
  if (job_id.empty() || job_id.size() > 128) return false;
  for (char c : job_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == ':';
    if (!ok) return false;
  }
  return job_id != "." && job_id != "..";
}

KeyLayout::KeyLayout(const std::string& job_id, uint64_t epoch) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(epoch));
  epoch_prefix_ = jobPrefix(job_id) + hex + "/";
}

std::string KeyLayout::jobPrefix(const std::string& job_id) { return "/te_bench/" + job_id + "/"; }
std::string KeyLayout::epochKey(const std::string& job_id) { return jobPrefix(job_id) + "epoch"; }

}  // namespace te::bootstrap::kv
