// KvStore against real servers: every operation, TTL / lease expiry and keep-alive, and the
// failures (unreachable server, server killed, planted keys).
#include <signal.h>

#include <thread>

#include "bootstrap/kv/base64.h"
#include "bootstrap/kv/kv_records.h"
#include "services_fixture.h"

namespace te::services_test {
namespace {

using namespace std::chrono_literals;
using bootstrap::kv::KvStorePtr;

Deadline soon() { return deadlineIn(5000ms); }

class KvStoreTest : public BackendTest {};

TEST_P(KvStoreTest, PutGetRemove) {
  KvStorePtr s = connect();
  ASSERT_TRUE(s);
  const std::string p = "/te_test/" + uniqueName("basic") + "/";
  auto missing = s->get(p + "nothing", soon());
  ASSERT_TRUE(missing.isOk()) << missing.status().message();
  EXPECT_FALSE(*missing);

  Bytes binary = {0, 1, 2, 255, 0, '\n', '='};
  ASSERT_TRUE(s->write({{p + "a", bytesOf("alpha")}, {p + "b", binary}, {p + "e", {}}}, {}, soon()).isOk());
  auto got = s->getMany({p + "a", p + "b", p + "c", p + "e"}, soon());
  ASSERT_TRUE(got.isOk()) << got.status().message();
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[0], bytesOf("alpha"));
  EXPECT_EQ((*got)[1], binary);
  EXPECT_FALSE((*got)[2]);
  ASSERT_TRUE((*got)[3]);  // an empty value exists (etcd omits it in JSON)
  EXPECT_TRUE((*got)[3]->empty());

  auto all = s->list(p, soon());
  ASSERT_TRUE(all.isOk()) << all.status().message();
  EXPECT_EQ(all->size(), 3u);

  ASSERT_TRUE(s->write({{p + "c", bytesOf("gamma")}}, {p + "a"}, soon()).isOk());
  got = s->getMany({p + "a", p + "c"}, soon());
  ASSERT_TRUE(got.isOk());
  EXPECT_FALSE((*got)[0]);
  EXPECT_EQ((*got)[1], bytesOf("gamma"));

  ASSERT_TRUE(s->removePrefix(p, soon()).isOk());
  all = s->list(p, soon());
  ASSERT_TRUE(all.isOk());
  EXPECT_TRUE(all->empty());
}

TEST_P(KvStoreTest, CreateIfAbsentReturnsTheHolder) {
  KvStorePtr a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  const std::string key = "/te_test/" + uniqueName("claim") + "/0";
  auto first = a->createIfAbsent(key, bytesOf("A"), soon());
  ASSERT_TRUE(first.isOk()) << first.status().message();
  EXPECT_FALSE(*first);
  auto second = b->createIfAbsent(key, bytesOf("B"), soon());
  ASSERT_TRUE(second.isOk());
  ASSERT_TRUE(*second);
  EXPECT_EQ(**second, bytesOf("A"));
  ASSERT_TRUE(a->dropOwnKeys(soon()).isOk());
  auto third = b->createIfAbsent(key, bytesOf("B"), soon());
  ASSERT_TRUE(third.isOk());
  EXPECT_FALSE(*third);
  ASSERT_TRUE(b->dropOwnKeys(soon()).isOk());
}

TEST_P(KvStoreTest, ManyKeysInFewRoundTrips) {
  KvStorePtr s = connect();
  ASSERT_TRUE(s);
  const std::string p = "/te_test/" + uniqueName("many") + "/";
  std::vector<bootstrap::kv::KeyValue> puts;
  for (int i = 0; i < 300; ++i) puts.push_back({p + std::to_string(i), Bytes(100, static_cast<uint8_t>(i))});
  const uint64_t before = s->stats().round_trips;
  ASSERT_TRUE(s->write(puts, {}, soon()).isOk());
  auto values = s->getIndexed(p, 300, soon());
  ASSERT_TRUE(values.isOk()) << values.status().message();
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE((*values)[i]) << i;
    EXPECT_EQ((*values)[i]->at(0), static_cast<uint8_t>(i));
  }
  // etcd: 128 operations per transaction (3 txns) + 1 range; redis: 1 pipeline + 1 MGET.
  EXPECT_LE(s->stats().round_trips - before, 4u);
  ASSERT_TRUE(s->removePrefix(p, soon()).isOk());
}

TEST_P(KvStoreTest, WaitForNamesMissingIndices) {
  KvStorePtr s = connect();
  ASSERT_TRUE(s);
  const std::string p = "/te_test/" + uniqueName("wait") + "/";
  ASSERT_TRUE(s->write({{p + "0", {}}, {p + "2", {}}}, {}, soon()).isOk());
  std::vector<int> missing;
  const auto t0 = Clock::now();
  auto r = s->waitFor(p, 4, deadlineIn(300ms), {}, &missing);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(Clock::now() - t0, 3s);
  EXPECT_EQ(missing, (std::vector<int>{1, 3}));

  // A writer that arrives while we wait completes it.
  std::thread late([&] {
    std::this_thread::sleep_for(100ms);
    KvStorePtr w = connect();
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write({{p + "1", bytesOf("1")}, {p + "3", bytesOf("3")}}, {}, soon()).isOk());
  });
  auto ok = s->waitFor(p, 4, deadlineIn(5s));
  late.join();
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_EQ((*ok)[1], bytesOf("1"));
  EXPECT_EQ((*ok)[3], bytesOf("3"));

  // A check that fails ends the wait early.
  auto stopped = s->waitFor(p + "never/", 2, deadlineIn(10s), [] { return unavailable("stop"); });
  EXPECT_EQ(stopped.status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(s->removePrefix(p, soon()).isOk());
}

TEST_P(KvStoreTest, KeysLiveWhileRefreshedAndExpireAfterTheWriterStops) {
  const std::string key = "/te_test/" + uniqueName("ttl") + "/k";
  KvStorePtr reader = connect();
  {
    KvStorePtr writer = connect(2000ms);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->put(key, bytesOf("v"), soon()).isOk());
    std::this_thread::sleep_for(3000ms);  // longer than the TTL: the keep-alive holds it
    auto held = reader->getWithTtl(key, soon());
    ASSERT_TRUE(held.isOk()) << held.status().message();
    ASSERT_TRUE(*held) << "key expired although its writer lives";
    EXPECT_EQ((*held)->value, bytesOf("v"));
    EXPECT_LE((*held)->ttl, 2000ms);
  }  // the writer "crashes": no clean-up, the keep-alive stops
  const auto t0 = Clock::now();
  while (Clock::now() - t0 < 8s) {
    auto v = reader->get(key, soon());
    ASSERT_TRUE(v.isOk());
    if (!*v) break;
    std::this_thread::sleep_for(100ms);
  }
  auto v = reader->get(key, soon());
  ASSERT_TRUE(v.isOk());
  EXPECT_FALSE(*v) << "key still there " << std::chrono::duration<double>(Clock::now() - t0).count()
                   << " s after its writer stopped";
}

TEST_P(KvStoreTest, UnreachableServerFailsFastNamingTheUrl) {
  const int port = freeLoopbackPort();
  const std::string dead = GetParam() + "://127.0.0.1:" + std::to_string(port);
  const auto t0 = Clock::now();
  auto s = bootstrap::kv::connectKvStore({dead, 10000ms, 2000ms});
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << s.status().message();
  const std::string& m = s.status().message();
  EXPECT_TRUE(m.find("refused") != std::string::npos || m.find("connect to server") != std::string::npos) << m;
  EXPECT_LT(Clock::now() - t0, 3s);
}

TEST_P(KvStoreTest, ServerKilledMidWayIsAnErrorNotAHang) {
  std::string why;
  auto own = ServiceServer::start(GetParam(), &why);
  ASSERT_TRUE(own) << why;
  auto s = bootstrap::kv::connectKvStore({own->url(), 10000ms, 2000ms});
  ASSERT_TRUE(s.isOk()) << s.status().message();
  ASSERT_TRUE((*s)->put("/te_test/x", bytesOf("1"), soon()).isOk());
  own->killNow();
  const auto t0 = Clock::now();
  auto r = (*s)->waitFor("/te_test/never/", 2, deadlineIn(30s));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
  EXPECT_NE(r.status().message().find(own->url().substr(own->url().find("://") + 3)), std::string::npos)
      << r.status().message();
  EXPECT_LT(Clock::now() - t0, 5s) << r.status().message();
}

TEST_P(KvStoreTest, PlantedForeignKeyUnderAPrefixIsAnErrorOrUnseen) {
  KvStorePtr s = connect();
  ASSERT_TRUE(s);
  const std::string p = "/te_test/" + uniqueName("foreign") + "/";
  ASSERT_TRUE(s->write({{p + "0", {}}, {p + "1", bytesOf("one")}, {p + "junk", bytesOf("x")}, {p + "7", {}}}, {},
                       soon())
                  .isOk());
  auto r = s->getIndexed(p, 2, soon());
  if (GetParam() == "etcd") {
    // A range over the prefix shows every key: one that is not an index is reported.
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("unexpected key"), std::string::npos) << r.status().message();
  } else {
    // MGET of the known keys never sees the others.
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ((*r)[1], bytesOf("one"));
  }
  ASSERT_TRUE(s->removePrefix(p, soon()).isOk());
}

INSTANTIATE_TEST_SUITE_P(Backends, KvStoreTest, ::testing::Values("etcd", "redis"), backendName);

// No server: the codecs must reject anything that is not theirs without crashing.
TEST(KvRecords, GarbageIsRejected) {
  using namespace bootstrap::kv;
  std::vector<Bytes> junk = {{}, {1}, bytesOf("hello world"), Bytes(1000, 0xff)};
  Bytes good = encodeClaim({42, 1, 4, {"host", 7, 99}});
  for (size_t cut = 0; cut < good.size(); ++cut) junk.emplace_back(good.begin(), good.begin() + cut);
  Bytes longer = good;
  longer.push_back(0);
  junk.push_back(longer);
  for (const auto& j : junk) {
    EXPECT_FALSE(decodeEpoch(j).isOk());
    EXPECT_FALSE(decodeClaim(j).isOk());
    EXPECT_FALSE(decodeRoster(j).isOk());
    EXPECT_FALSE(decodeAbort(j).isOk());
    EXPECT_FALSE(decodeOpValue(j, 42, 0, 1, 99).isOk());
  }
  auto claim = decodeClaim(good);
  ASSERT_TRUE(claim.isOk());
  EXPECT_EQ(claim->who.host, "host");
  EXPECT_FALSE(decodeEpoch(good).isOk());  // right magic, wrong kind
  Bytes op = encodeOpValue(42, 3, 1, 99, bytesOf("payload"));
  EXPECT_TRUE(decodeOpValue(op, 42, 3, 1, 99).isOk());
  EXPECT_FALSE(decodeOpValue(op, 43, 3, 1, 99).isOk());  // another epoch
  EXPECT_FALSE(decodeOpValue(op, 42, 4, 1, 99).isOk());  // another collective
  EXPECT_FALSE(decodeOpValue(op, 42, 3, 2, 99).isOk());  // another rank
  EXPECT_FALSE(decodeOpValue(op, 42, 3, 1, 98).isOk());  // another process
}

TEST(KvRecords, Base64RoundTripAndStrictDecode) {
  using namespace bootstrap::kv;
  for (size_t n = 0; n < 40; ++n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 37 + n);
    auto back = base64Decode(base64Encode(b));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, b);
  }
  EXPECT_EQ(base64Encode(std::string_view("/a/1")), "L2EvMQ==");
  EXPECT_FALSE(base64Decode("abc"));
  EXPECT_FALSE(base64Decode("ab=c"));
  EXPECT_FALSE(base64Decode("a!bc"));
  EXPECT_FALSE(base64Decode("=abc"));
}

}  // namespace
}  // namespace te::services_test
