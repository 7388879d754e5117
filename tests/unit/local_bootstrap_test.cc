#include "bootstrap/local/local_bootstrap.h"

#include <gtest/gtest.h>

#include <thread>

namespace te::bootstrap {
namespace {

TEST(LocalBootstrap, CollectivesDeliverEveryRanksBytes) {
  constexpr int kN = 4;
  auto group = std::make_shared<LocalGroup>(kN);
  std::vector<std::string> errors(kN);
  std::vector<std::thread> threads;
  for (int r = 0; r < kN; ++r) {
    threads.emplace_back([&, r] {
      LocalBootstrap bs(group, r);
      auto d = deadlineIn(std::chrono::seconds(10));
      auto all = bs.allGather(Bytes{static_cast<uint8_t>(r)}, d);
      if (!all.isOk() || all->size() != kN) { errors[r] = "allGather"; return; }
      for (int i = 0; i < kN; ++i) if ((*all)[i] != Bytes{static_cast<uint8_t>(i)}) errors[r] = "allGather order";
      std::vector<Bytes> to_each(kN);
      for (int i = 0; i < kN; ++i) to_each[i] = Bytes{static_cast<uint8_t>(r * 10 + i)};
      auto a2a = bs.allToAll(to_each, d);
      if (!a2a.isOk()) { errors[r] = "allToAll"; return; }
      for (int i = 0; i < kN; ++i) if ((*a2a)[i] != Bytes{static_cast<uint8_t>(i * 10 + r)}) errors[r] = "allToAll routing";
      auto b = bs.broadcast(r == 2 ? Bytes{9, 9} : Bytes{}, 2, d);
      if (!b.isOk() || *b != (Bytes{9, 9})) errors[r] = "broadcast";
      if (!bs.barrier(d).isOk()) errors[r] = "barrier";
      Status agreed = agreeOnStatus(bs, r == 3 ? invalidArgument("rank 3 says no") : Status::ok(), d);
      if (agreed.message() != "rank 3 says no") errors[r] = "agreeOnStatus: " + agreed.message();
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < kN; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
}

TEST(LocalBootstrap, MissingRankIsADeadlineErrorNamingIt) {
  auto group = std::make_shared<LocalGroup>(3);
  LocalBootstrap r0(group, 0);
  std::thread t([&] {
    LocalBootstrap r1(group, 1);
    (void)r1.barrier(deadlineIn(std::chrono::milliseconds(300)));
  });
  Status s = r0.barrier(deadlineIn(std::chrono::milliseconds(300)));
  t.join();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(s.message().find("ranks 2 "), std::string::npos) << s.message();
}

}  // namespace
}  // namespace te::bootstrap
