// The group-commit store actor on CAF's deterministic test scheduler: a writer hears
// back only after the flush holding its batch, concurrent writers share flushes (and
// caps split them), fsync_each flushes per batch, a failed flush reaches every waiter,
// and an exit flushes instead of dropping. A fake kv_store records what was synced.
#include "storage/store_actor.hpp"

#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "storage/keys.hpp"

using namespace concert;
namespace fs = std::filesystem;

namespace {

/// Records every apply; from apply number `fail_from` on (0-based) it fails with io.
class fake_store : public kv_store {
 public:
  status apply(const write_batch& b, bool sync) override {
    ++applies;
    if (applies > fail_from) return {store_errc::io, "injected failure"};
    if (sync) ++synced_applies;
    for (const auto& op : b.ops) {
      auto k = std::make_pair(op.fam, op.key);
      if (op.erase)
        data.erase(k);
      else
        data[k] = {op.value, sync};
    }
    return {};
  }
  result<std::optional<std::string>> get(family f, std::string_view key) const override {
    auto i = data.find({f, std::string(key)});
    if (i == data.end()) return std::optional<std::string>{};
    return std::optional<std::string>{i->second.first};
  }
  /// True when the key was written by a synced apply.
  bool durable(family f, const std::string& key) const {
    auto i = data.find({f, key});
    return i != data.end() && i->second.second;
  }

  size_t applies = 0;
  size_t synced_applies = 0;
  size_t fail_from = SIZE_MAX;
  std::map<std::pair<family, std::string>, std::pair<std::string, bool>> data;
};

/// What a writer heard back for one key.
struct outcome {
  std::string key;
  uint64_t flush_no = 0;
  bool durable_when_acked = false;
  caf::error err;
};

struct loop_args {
  store_actor dest;
  std::shared_ptr<fake_store> db;
  std::shared_ptr<std::vector<outcome>> out;
  std::string name;
  int n = 0;
};

void write_in_loop(caf::event_based_actor* w, loop_args a, int i) {
  if (i == a.n) return;
  auto k = a.name + "/" + std::to_string(i);
  write_batch b;
  b.put(family::wallets, k, "v");
  w->request(a.dest, caf::infinite, write_atom::value, std::move(b))
      .then(
          [=](uint64_t no) {
            a.out->push_back({k, no, a.db->durable(family::wallets, k), caf::error{}});
            write_in_loop(w, a, i + 1);
          },
          [=](caf::error& e) {
            a.out->push_back({k, 0, false, e});
          });
}

struct config : caf::actor_system_config {
  config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    add_store_error_category(*this);
  }
};

class StoreActorTest : public ::testing::Test {
 protected:
  config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};
  std::shared_ptr<fake_store> fake = std::make_shared<fake_store>();
  std::shared_ptr<std::vector<outcome>> outcomes = std::make_shared<std::vector<outcome>>();
  store_actor st;

  void start(store_actor_config c = {}, std::shared_ptr<kv_store> db = nullptr) {
    st = spawn_store(sys, db ? db : fake, c);
    sched.run();
  }

  ~StoreActorTest() override {
    if (st) caf::anon_send_exit(st, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// A one-shot writer actor that sends `keys.size()` writes (one key each) at once and
  /// records each reply, checking the fake at that moment.
  void spawn_writer(std::vector<std::string> keys, std::string value = "v") {
    auto db = fake;
    auto out = outcomes;
    auto dest = st;
    sys.spawn([=](caf::event_based_actor* w) {
      for (const auto& k : keys) {
        write_batch b;
        b.put(family::wallets, k, value);
        w->request(dest, caf::infinite, write_atom::value, std::move(b))
            .then(
                [=](uint64_t no) {
                  out->push_back({k, no, db->durable(family::wallets, k), caf::error{}});
                },
                [=](caf::error& e) {
                  out->push_back({k, 0, false, e});
                });
      }
    });
  }

  /// A writer that sends one write, and its next one only after the ack (closed loop),
  /// `n` writes in all.
  void spawn_looping_writer(std::string name, int n) {
    loop_args a{st, fake, outcomes, std::move(name), n};
    sys.spawn([a](caf::event_based_actor* w) { write_in_loop(w, a, 0); });
  }

  template <class... Ts, class... Xs>
  caf::expected<std::tuple<Ts...>> req(Xs... xs) {
    caf::expected<std::tuple<Ts...>> res = caf::sec::unexpected_response;
    auto h = self->request(st, caf::infinite, xs...);
    sched.run();
    h.receive([&](Ts&... ys) { res = std::make_tuple(std::move(ys)...); },
              [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  store_stats stats() {
    auto r = req<store_stats>(stats_atom::value);
    EXPECT_TRUE(r);
    return r ? std::get<0>(*r) : store_stats{};
  }
};

}  // namespace

TEST_F(StoreActorTest, RepliesOnlyAfterTheFlushHoldingTheWrite) {
  start();
  spawn_writer({"a", "b", "c"});
  sched.run_once();  // the writer sends three writes
  ASSERT_EQ(sched.jobs.size(), 1u);
  sched.run_once();  // store: first write, more waiting -> no flush
  sched.run_once();  // store: second write
  EXPECT_EQ(fake->applies, 0u);
  EXPECT_TRUE(outcomes->empty());
  sched.run_once();  // store: third write, mailbox empty -> one synced flush
  EXPECT_EQ(fake->applies, 1u);
  EXPECT_EQ(fake->synced_applies, 1u);
  sched.run();
  ASSERT_EQ(outcomes->size(), 3u);
  for (const auto& o : *outcomes) {
    EXPECT_EQ(o.flush_no, 1u);
    EXPECT_TRUE(o.durable_when_acked) << o.key;
    EXPECT_FALSE(o.err);
  }
}

TEST_F(StoreActorTest, ManyWritersShareOneFlush) {
  start();
  for (int i = 0; i < 100; ++i) spawn_writer({"k" + std::to_string(i)});
  sched.run();
  ASSERT_EQ(outcomes->size(), 100u);
  for (const auto& o : *outcomes) {
    EXPECT_EQ(o.flush_no, 1u);
    EXPECT_TRUE(o.durable_when_acked);
  }
  auto s = stats();
  EXPECT_EQ(s.flushes, 1u);
  EXPECT_EQ(s.writes_acked, 100u);
  EXPECT_EQ(s.largest_flush, 100u);
}

TEST_F(StoreActorTest, WriteCountCapSplitsFlushes) {
  store_actor_config c;
  c.max_batch_writes = 32;
  start(c);
  for (int i = 0; i < 100; ++i) spawn_writer({"k" + std::to_string(i)});
  sched.run();
  ASSERT_EQ(outcomes->size(), 100u);
  std::map<uint64_t, int> per_flush;
  for (const auto& o : *outcomes) {
    ++per_flush[o.flush_no];
    EXPECT_TRUE(o.durable_when_acked);
  }
  EXPECT_EQ(per_flush, (std::map<uint64_t, int>{{1, 32}, {2, 32}, {3, 32}, {4, 4}}));
}

TEST_F(StoreActorTest, ByteCapSplitsFlushes) {
  store_actor_config c;
  c.max_batch_bytes = 1000;  // each write below is 501 bytes: two per flush
  start(c);
  for (int i = 0; i < 6; ++i) spawn_writer({"k"}, std::string(500, 'x'));
  sched.run();
  EXPECT_EQ(outcomes->size(), 6u);
  EXPECT_EQ(stats().flushes, 3u);
}

TEST_F(StoreActorTest, FsyncEachFlushesEveryBatchInOrder) {
  store_actor_config c;
  c.mode = commit_mode::fsync_each;
  start(c);
  for (int i = 0; i < 10; ++i) spawn_writer({"k" + std::to_string(i)});
  sched.run();
  ASSERT_EQ(outcomes->size(), 10u);
  std::set<uint64_t> nos;
  for (const auto& o : *outcomes) {
    nos.insert(o.flush_no);
    EXPECT_TRUE(o.durable_when_acked);
  }
  EXPECT_EQ(nos.size(), 10u);
  EXPECT_EQ(fake->synced_applies, 10u);
}

TEST_F(StoreActorTest, FailedFlushErrorsEveryWaiterAndLaterWrites) {
  fake->fail_from = 0;
  start();
  for (int i = 0; i < 10; ++i) spawn_writer({"k" + std::to_string(i)});
  sched.run();
  ASSERT_EQ(outcomes->size(), 10u);
  for (const auto& o : *outcomes) {
    EXPECT_EQ(o.err, store_errc::io) << sys.render(o.err);
    EXPECT_EQ(o.flush_no, 0u);
  }
  EXPECT_NE(sys.render(outcomes->front().err).find("injected failure"), std::string::npos);
  EXPECT_EQ(fake->applies, 1u);  // one flush for all ten

  spawn_writer({"later"});  // fail-stop: no write is acked after a lost one
  sched.run();
  ASSERT_EQ(outcomes->size(), 11u);
  EXPECT_EQ(outcomes->back().err, store_errc::io);
  EXPECT_EQ(fake->applies, 1u);
  auto s = stats();
  EXPECT_EQ(s.writes_failed, 11u);
  EXPECT_EQ(s.writes_acked, 0u);
}

TEST_F(StoreActorTest, ExitFlushesWaitingWrites) {
  start();
  spawn_writer({"a", "b", "c"});
  sched.run_once();  // writer sends
  sched.run_once();  // store takes "a", keeps it waiting
  EXPECT_EQ(fake->applies, 0u);
  caf::anon_send_exit(st, caf::exit_reason::user_shutdown);
  st = nullptr;
  sched.run();
  // Every write the store took in was flushed and answered; none hangs.
  EXPECT_EQ(outcomes->size(), 3u);
  EXPECT_TRUE(fake->durable(family::wallets, "a"));
  for (const auto& o : *outcomes) {
    if (!o.err) {
      EXPECT_TRUE(o.durable_when_acked);
    }
  }
}

TEST_F(StoreActorTest, LingerWaitsForLastFlushsWritersAndMergesCohorts) {
  store_actor_config c;
  c.linger_min_writers = 2;
  c.linger_in_virtual_time = true;
  start(c);
  for (int i = 0; i < 3; ++i) spawn_looping_writer("a" + std::to_string(i), 2);
  for (int i = 0; i < 6; ++i) sched.run_once();  // 3 writers send, store takes 3 -> flush 1
  ASSERT_EQ(fake->applies, 1u);
  spawn_writer({"b"});  // a newcomer arrives while the a-writers still hold their acks
  sched.run_once();     // ... the newcomer's start-up
  sched.prioritize(st);
  sched.run_once();  // store takes "b": the a-writers are expected back, so it lingers
  EXPECT_EQ(fake->applies, 1u);
  sched.run();  // the a-writers come back; the last one ends the linger
  EXPECT_EQ(fake->applies, 2u);
  std::map<std::string, uint64_t> flush_of;
  for (const auto& o : *outcomes) flush_of[o.key] = o.flush_no;
  EXPECT_EQ(flush_of["b"], 2u);
  EXPECT_EQ(flush_of["a0/1"], 2u);
  EXPECT_EQ(flush_of["a2/1"], 2u);
  auto s = stats();
  EXPECT_EQ(s.lingers, 1u);
  EXPECT_EQ(s.linger_timeouts, 0u);
  EXPECT_EQ(s.largest_flush, 4u);
}

TEST_F(StoreActorTest, LingerEndsByTimerWhenWritersDoNotReturn) {
  store_actor_config c;
  c.linger_min_writers = 2;
  c.linger_in_virtual_time = true;
  start(c);
  for (int i = 0; i < 3; ++i) spawn_writer({"a" + std::to_string(i)});  // one write each
  sched.run();
  ASSERT_EQ(fake->applies, 1u);
  spawn_writer({"b"});
  sched.run();
  EXPECT_EQ(fake->applies, 1u);  // waits for a-writers that will not come
  EXPECT_EQ(sched.advance_time(c.max_linger - std::chrono::microseconds(1)), 0u);
  EXPECT_EQ(sched.advance_time(std::chrono::microseconds(1)), 1u);
  sched.run();
  EXPECT_EQ(fake->applies, 2u);
  ASSERT_EQ(outcomes->size(), 4u);
  EXPECT_TRUE(outcomes->back().durable_when_acked);
  EXPECT_EQ(stats().linger_timeouts, 1u);
}

TEST_F(StoreActorTest, NoLingerFlushesANewcomerAlone) {
  store_actor_config c;
  c.linger_min_writers = 2;
  c.max_linger = caf::timespan{0};
  c.linger_in_virtual_time = true;
  start(c);
  for (int i = 0; i < 3; ++i) spawn_looping_writer("a" + std::to_string(i), 2);
  for (int i = 0; i < 6; ++i) sched.run_once();
  spawn_writer({"b"});
  sched.run_once();
  sched.prioritize(st);
  sched.run_once();
  EXPECT_EQ(fake->applies, 2u);  // "b" alone: the cohorts split without a linger
  sched.run();
  EXPECT_EQ(fake->applies, 3u);
}

TEST_F(StoreActorTest, StaleLingerTimerStillClosesTheBatch) {
  store_actor_config c;
  c.linger_min_writers = 2;
  c.linger_in_virtual_time = true;
  start(c);
  for (int i = 0; i < 3; ++i) spawn_looping_writer("a" + std::to_string(i), 2);
  for (int i = 0; i < 6; ++i) sched.run_once();
  spawn_writer({"b"});
  sched.run_once();
  sched.prioritize(st);
  sched.run_once();  // linger 1 starts (timer at +1 ms) ...
  sched.run();       // ... and ends by the a-writers' return: its timer is now stale
  ASSERT_EQ(fake->applies, 2u);
  spawn_writer({"c"});
  sched.run_once();                                 // c's write is queued first,
  EXPECT_EQ(sched.advance_time(c.max_linger), 1u);  // the stale timer behind it
  sched.run();  // "c" is taken with the timer still queued; the stale timer must close it
  sched.advance_time(c.max_linger);  // (it lingers for flush 2's writers first)
  sched.run();
  ASSERT_EQ(outcomes->size(), 8u);
  EXPECT_EQ(outcomes->back().key, "c");
  EXPECT_EQ(outcomes->back().flush_no, 3u);
}

TEST_F(StoreActorTest, NoLingerUnderTheTestSchedulerByDefault) {
  start();  // default config: max_linger 1 ms, but virtual time
  for (int i = 0; i < 10; ++i) spawn_writer({"a" + std::to_string(i)});
  sched.run();
  spawn_writer({"b"});
  sched.run();  // no timer needed
  EXPECT_EQ(outcomes->size(), 11u);
  EXPECT_EQ(stats().lingers, 0u);
}

TEST_F(StoreActorTest, GetReadsCommittedValues) {
  start();
  spawn_writer({"k"}, "value");
  sched.run();
  auto hit = req<bool, std::string>(caf::get_atom::value, family::wallets, std::string("k"));
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, std::make_tuple(true, std::string("value")));
  auto miss = req<bool, std::string>(caf::get_atom::value, family::wallets, std::string("no"));
  ASSERT_TRUE(miss);
  EXPECT_EQ(*miss, std::make_tuple(false, std::string()));
}

TEST_F(StoreActorTest, EmptyBatchIsABarrier) {
  start();
  auto r = req<uint64_t>(write_atom::value, write_batch{});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<0>(*r), 1u);
}

TEST_F(StoreActorTest, WritesReachARealStoreDurably) {
  auto dir = fs::temp_directory_path() / ("store_actor_test." + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    auto opened = store::open(dir.string());
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    std::shared_ptr<store> db = std::move(opened.value());
    start({}, db);
    using handle = decltype(self->request(st, caf::infinite, write_atom::value, write_batch{}));
    std::vector<handle> pending;
    for (int i = 0; i < 20; ++i) {
      write_batch b;
      b.put(family::intents, keys::encode_intent(i), "intent");
      b.put(family::wallets, keys::encode_wallet(i), "wallet");
      pending.push_back(self->request(st, caf::infinite, write_atom::value, std::move(b)));
    }
    sched.run();
    for (auto& h : pending)
      h.receive([](uint64_t no) { EXPECT_EQ(no, 1u); },
                [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    caf::anon_send_exit(st, caf::exit_reason::user_shutdown);
    st = nullptr;
    sched.run();
  }
  auto reopened = store::open(dir.string());
  ASSERT_TRUE(reopened.ok());
  size_t n = 0;
  ASSERT_TRUE(
      reopened.value()->scan(family::intents, "", [&](auto, auto) { return ++n, true; }).ok());
  EXPECT_EQ(n, 20u);
  EXPECT_EQ(reopened.value()->get(family::wallets, keys::encode_wallet(19)).value(), "wallet");
  reopened.value().reset();
  fs::remove_all(dir);
}

TEST_F(StoreActorTest, WriteBatchSerializesForRemoteUse) {
  write_batch b;
  b.put(family::seats, keys::encode_seat(1, 2), std::string("\0\1binary", 8));
  b.erase(family::gate, keys::encode_gate_token(9));
  std::vector<char> buf;
  caf::binary_serializer sink(sys, buf);
  ASSERT_FALSE(sink(b));
  write_batch copy;
  caf::binary_deserializer source(sys, buf);
  ASSERT_FALSE(source(copy));
  ASSERT_EQ(copy.size(), 2u);
  EXPECT_EQ(copy.ops[0].fam, family::seats);
  EXPECT_EQ(copy.ops[0].value, std::string("\0\1binary", 8));
  EXPECT_TRUE(copy.ops[1].erase);
  EXPECT_EQ(copy.ops[1].key, keys::encode_gate_token(9));
}
