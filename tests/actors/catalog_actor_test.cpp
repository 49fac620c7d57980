// Tests of the catalog -> schedule -> seat-block actor tree on CAF's deterministic test
// scheduler (Recipe B of caf-0.17.md): routing, listings and counts, unknown ids, hold
// expiry and pay timeouts on virtual time, and exactly one winner among 1,000 fans who
// ask for the same seat at once. Nothing here waits on the wall clock.
#include "actors/catalog_actor.hpp"

#include <gtest/gtest.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <tuple>
#include <vector>

#include "actors/persistent_spawn.hpp"
#include "actors/seat_block.hpp"
#include "support/holding_writer.hpp"

namespace concert {
namespace {

using namespace std::chrono_literals;

constexpr time_us epoch = seconds_us(1'796'083'200);  // 2026-12-01T00:00:00Z
constexpr time_us hold_time = seconds_us(300);

struct test_config : caf::actor_system_config {
  test_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
  }
};

class CatalogActorTest : public ::testing::Test {
 protected:
  // Member order matters: config, system, scheduler, scoped actor, actors.
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};
  time_base tb = make_time_base(sys, epoch);
  catalog_actor cat;

  /// Spawns the demo catalog with `seats` (each test calls it once).
  void start(seats_config seats = {}) {
    cat = spawn_catalog(sys, demo_catalog(), seats, tb);
    sched.run();
  }

  ~CatalogActorTest() override {
    if (cat) caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// Sends one request, runs the system until idle and returns the reply.
  template <class... Ts, class... Xs>
  std::tuple<Ts...> ask(Xs... xs) {
    std::tuple<Ts...> out;
    auto h = self->request(cat, caf::infinite, xs...);
    sched.run();
    h.receive([&](Ts&... ys) { out = std::make_tuple(std::move(ys)...); },
              [&](caf::error& err) { ADD_FAILURE() << sys.render(err); });
    return out;
  }

  std::tuple<code, reservation> hold(user_id user, schedule_id s, seat_no seat) {
    return ask<code, reservation>(hold_atom::value, user, s, seat);
  }
  code lock(user_id user, reservation_id rid) {
    return std::get<0>(ask<code>(lock_atom::value, user, rid));
  }
  code sell(user_id user, reservation_id rid) {
    return std::get<0>(ask<code>(sell_atom::value, user, rid));
  }
  code unlock(user_id user, reservation_id rid) {
    return std::get<0>(ask<code>(unlock_atom::value, user, rid));
  }
  std::tuple<code, std::vector<seat_info>> seats(schedule_id s, bool all) {
    return ask<code, std::vector<seat_info>>(seats_atom::value, s, all);
  }
  std::tuple<code, std::vector<schedule_info>> schedules(concert_id c) {
    return ask<code, std::vector<schedule_info>>(schedules_atom::value, c);
  }
  seat_stats stats() { return std::get<0>(ask<seat_stats>(stats_atom::value)); }

  /// Status of one seat in the full listing of schedule `s`.
  seat_status status_of(schedule_id s, seat_no seat) {
    auto [c, list] = seats(s, true);
    EXPECT_EQ(c, code::ok);
    for (const auto& x : list)
      if (x.seat == seat) return x.status;
    ADD_FAILURE() << "seat " << seat << " not listed";
    return seat_status::sold;
  }
  /// Live available count of schedule `s` (1..9) from its concert's schedule listing.
  uint32_t available_of(schedule_id s) {
    auto [c, list] = schedules((s - 1) / 3 + 1);
    EXPECT_EQ(c, code::ok);
    for (const auto& x : list)
      if (x.id == s) return x.available_seats;
    ADD_FAILURE() << "schedule " << s << " not listed";
    return 0;
  }
  /// Moves virtual time on and lets every actor handle what fired.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }
};

TEST_F(CatalogActorTest, ListsConcertsInIdOrder) {
  start();
  auto [list] = ask<std::vector<concert_info>>(concerts_atom::value);
  ASSERT_EQ(list.size(), 3u);
  auto demo = demo_catalog();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(list[i].id, i + 1);
    EXPECT_EQ(list[i].title, demo.concerts[i].title);
    EXPECT_EQ(list[i].venue, demo.concerts[i].venue);
  }
}

TEST_F(CatalogActorTest, ListsSchedulesOfAConcertWithCounts) {
  start();
  auto [c, list] = schedules(2);
  ASSERT_EQ(c, code::ok);
  ASSERT_EQ(list.size(), 3u);
  auto demo = demo_catalog();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(list[i].id, 4 + i);
    EXPECT_EQ(list[i].concert, 2u);
    EXPECT_EQ(list[i].starts_at, demo.schedules[3 + i].starts_at);
    EXPECT_EQ(list[i].total_seats, 50u);
    EXPECT_EQ(list[i].available_seats, 50u);
  }
  ASSERT_EQ(std::get<0>(hold(1, 5, 10)), code::created);
  ASSERT_EQ(std::get<0>(hold(2, 5, 11)), code::created);
  EXPECT_EQ(available_of(4), 50u);
  EXPECT_EQ(available_of(5), 48u);
}

TEST_F(CatalogActorTest, HoldLockSellThroughTheCatalog) {
  start();
  auto [c, r] = hold(7, 1, 1);
  ASSERT_EQ(c, code::created);
  EXPECT_EQ(r.user, 7u);
  EXPECT_EQ(r.schedule, 1u);
  EXPECT_EQ(r.seat, 1u);
  EXPECT_EQ(r.price, 150'000);
  EXPECT_EQ(r.status, reservation_status::held);
  EXPECT_EQ(r.expires_at, epoch + hold_time);
  EXPECT_EQ(block_of(r.id), 1u);
  EXPECT_EQ(status_of(1, 1), seat_status::held);
  EXPECT_EQ(lock(8, r.id), code::reservation_not_found) << "another user's reservation";
  EXPECT_EQ(lock(7, r.id), code::ok);
  EXPECT_EQ(lock(7, r.id), code::reservation_not_payable);
  EXPECT_EQ(sell(7, r.id), code::ok);
  EXPECT_EQ(status_of(1, 1), seat_status::sold);
  auto [lc, reservable] = seats(1, false);
  EXPECT_EQ(lc, code::ok);
  ASSERT_EQ(reservable.size(), 49u);
  EXPECT_EQ(reservable.front().seat, 2u);
  EXPECT_EQ(std::get<0>(hold(9, 1, 1)), code::seat_unavailable);
  EXPECT_EQ(available_of(1), 49u);
  auto s = stats();
  EXPECT_EQ(s.sold, 1u);
  EXPECT_EQ(s.held, 0u);
  EXPECT_EQ(s.available, 9u * 50 - 1);
  EXPECT_EQ(s.holds_placed_total, 1u);
}

TEST_F(CatalogActorTest, UnlockReturnsTheSeatToItsHolder) {
  start();
  auto [c, r] = hold(3, 2, 40);
  ASSERT_EQ(c, code::created);
  ASSERT_EQ(lock(3, r.id), code::ok);
  EXPECT_EQ(unlock(3, r.id), code::ok);
  EXPECT_EQ(status_of(2, 40), seat_status::held);
  EXPECT_EQ(std::get<0>(hold(4, 2, 40)), code::seat_unavailable);
  EXPECT_EQ(lock(3, r.id), code::ok);
  EXPECT_EQ(sell(3, r.id), code::ok);
}

TEST_F(CatalogActorTest, UnknownIdsAreRefused) {
  start();
  EXPECT_EQ(std::get<0>(schedules(99)), code::concert_not_found);
  EXPECT_EQ(std::get<0>(schedules(0)), code::concert_not_found);
  EXPECT_EQ(std::get<0>(seats(10, true)), code::schedule_not_found);
  EXPECT_EQ(std::get<0>(hold(1, 0, 1)), code::schedule_not_found);
  EXPECT_EQ(std::get<0>(hold(1, 99, 1)), code::schedule_not_found);
  EXPECT_EQ(std::get<0>(hold(1, 1, 0)), code::seat_not_found);
  EXPECT_EQ(std::get<0>(hold(1, 1, 51)), code::seat_not_found);
  const reservation_id bad[] = {0, 5, make_reservation_id(999, 1), make_reservation_id(1, 1)};
  for (auto rid : bad) {
    EXPECT_EQ(lock(1, rid), code::reservation_not_found) << rid;
    EXPECT_EQ(sell(1, rid), code::reservation_not_found) << rid;
    EXPECT_EQ(unlock(1, rid), code::reservation_not_found) << rid;
  }
  EXPECT_EQ(stats().holds_placed_total, 0u);
}

TEST_F(CatalogActorTest, HoldExpiresExactlyAtTheDeadlineOnVirtualTime) {
  start();
  auto [c, r] = hold(1, 1, 17);
  ASSERT_EQ(c, code::created);
  advance(299s);
  EXPECT_EQ(status_of(1, 17), seat_status::held);
  EXPECT_EQ(available_of(1), 49u);
  EXPECT_EQ(std::get<0>(hold(2, 1, 17)), code::seat_unavailable);
  advance(1s);
  EXPECT_EQ(available_of(1), 50u) << "the timer restored the count";
  EXPECT_EQ(status_of(1, 17), seat_status::available);
  EXPECT_EQ(lock(1, r.id), code::reservation_expired);
  EXPECT_EQ(stats().holds_expired_total, 1u);
  auto [c2, r2] = hold(2, 1, 17);
  EXPECT_EQ(c2, code::created);
  EXPECT_EQ(r2.expires_at, epoch + 2 * hold_time);
  EXPECT_EQ(lock(1, r.id), code::reservation_expired);
}

TEST_F(CatalogActorTest, LockJustBeforeTheDeadlineHoldsThroughIt) {
  start();
  auto [c, r] = hold(1, 3, 5);
  ASSERT_EQ(c, code::created);
  advance(290s);
  ASSERT_EQ(lock(1, r.id), code::ok);
  advance(10s);  // the hold deadline passes while paying: its timer does nothing
  EXPECT_EQ(status_of(3, 5), seat_status::paying);
  EXPECT_EQ(available_of(3), 49u);
  EXPECT_EQ(sell(1, r.id), code::ok);
  EXPECT_EQ(stats().holds_expired_total, 0u);
}

TEST_F(CatalogActorTest, PayTimeoutFreesASeatWhoseDeadlinePassed) {
  start();
  auto [c, r] = hold(1, 3, 5);
  ASSERT_EQ(c, code::created);
  advance(290s);
  ASSERT_EQ(lock(1, r.id), code::ok);
  advance(29s);
  EXPECT_EQ(available_of(3), 49u);
  advance(1s);  // lock time + 30 s pay timeout
  EXPECT_EQ(available_of(3), 50u);
  EXPECT_EQ(sell(1, r.id), code::reservation_expired);
  EXPECT_EQ(stats().holds_expired_total, 1u);
}

TEST_F(CatalogActorTest, TheBlocksOneTimerFollowsEveryDeadlineInTurn) {
  start();  // one block of 64 seats per schedule: all three seats share its timer
  auto a = hold(1, 2, 1);
  ASSERT_EQ(std::get<0>(a), code::created);
  advance(10s);
  auto b = hold(2, 2, 2);
  ASSERT_EQ(std::get<0>(b), code::created);
  ASSERT_EQ(lock(2, std::get<1>(b).id), code::ok);  // pay timeout at 40 s, before a's 300 s
  auto sold = hold(3, 2, 3);
  ASSERT_EQ(lock(3, std::get<1>(sold).id), code::ok);
  ASSERT_EQ(sell(3, std::get<1>(sold).id), code::ok);
  EXPECT_EQ(available_of(2), 47u);
  advance(30s);  // b's lock timed out: HELD again until its own deadline at 310 s
  EXPECT_EQ(status_of(2, 2), seat_status::held);
  advance(259s);
  EXPECT_EQ(available_of(2), 47u);
  advance(1s);  // 300 s: a lapses
  EXPECT_EQ(available_of(2), 48u) << "the timer fired at a's deadline";
  advance(9s);
  EXPECT_EQ(available_of(2), 48u);
  advance(1s);  // 310 s: b lapses
  EXPECT_EQ(available_of(2), 49u) << "the timer was armed again for b's deadline";
  EXPECT_EQ(status_of(2, 3), seat_status::sold);
  EXPECT_EQ(stats().holds_expired_total, 2u);
}

TEST_F(CatalogActorTest, ExactlyOneWinnerAmongAThousandSimultaneousHolds) {
  start();
  using handle = decltype(self->request(cat, caf::infinite, hold_atom::value, user_id{1},
                                        schedule_id{1}, seat_no{1}));
  std::vector<handle> pending;
  for (user_id u = 1; u <= 1000; ++u)
    pending.push_back(
        self->request(cat, caf::infinite, hold_atom::value, u, schedule_id{4}, seat_no{25}));
  sched.run();  // only now does any actor run
  int created = 0;
  int unavailable = 0;
  user_id winner = 0;
  for (auto& h : pending)
    h.receive(
        [&](code c, reservation& r) {
          if (c == code::created) {
            ++created;
            winner = r.user;
          }
          if (c == code::seat_unavailable) ++unavailable;
        },
        [&](caf::error& err) { ADD_FAILURE() << sys.render(err); });
  EXPECT_EQ(created, 1);
  EXPECT_EQ(unavailable, 999);
  EXPECT_NE(winner, 0u);
  EXPECT_EQ(available_of(4), 49u);
  auto s = stats();
  EXPECT_EQ(s.holds_placed_total, 1u);
  EXPECT_EQ(s.held, 1u);
}

TEST_F(CatalogActorTest, MultiBlockSchedulesRouteBySeatAndReservationId) {
  seats_config small;
  small.seats_per_block = 8;  // 50 seats -> 7 blocks; schedule s owns blocks 7s-6 .. 7s
  start(small);
  struct row {
    schedule_id s;
    seat_no seat;
    uint32_t block;
  };
  const row rows[] = {{1, 1, 1}, {1, 8, 1}, {1, 9, 2}, {1, 50, 7}, {9, 50, 63}, {9, 1, 57}};
  std::vector<reservation> held;
  for (const auto& x : rows) {
    auto [c, r] = hold(x.s, x.s, x.seat);  // user id = schedule id
    ASSERT_EQ(c, code::created) << "schedule " << x.s << " seat " << x.seat;
    EXPECT_EQ(r.seat, x.seat);
    EXPECT_EQ(r.schedule, x.s);
    EXPECT_EQ(block_of(r.id), x.block) << "schedule " << x.s << " seat " << x.seat;
    held.push_back(r);
  }
  EXPECT_EQ(lock(9, held[4].id), code::ok);
  EXPECT_EQ(sell(9, held[4].id), code::ok);
  EXPECT_EQ(lock(1, held[2].id), code::ok);
  EXPECT_EQ(unlock(1, held[2].id), code::ok);

  auto [c, all] = seats(1, true);
  ASSERT_EQ(c, code::ok);
  ASSERT_EQ(all.size(), 50u);
  for (seat_no i = 0; i < 50; ++i) {
    EXPECT_EQ(all[i].seat, i + 1);
    bool is_held = i + 1 == 1 || i + 1 == 8 || i + 1 == 9 || i + 1 == 50;
    EXPECT_EQ(all[i].status, is_held ? seat_status::held : seat_status::available) << i + 1;
  }
  EXPECT_EQ(all[0].price, 150'000);
  EXPECT_EQ(all[49].price, 60'000);
  EXPECT_EQ(std::get<1>(seats(1, false)).size(), 46u);
  EXPECT_EQ(status_of(9, 50), seat_status::sold);
  EXPECT_EQ(available_of(1), 46u);
  EXPECT_EQ(available_of(9), 48u);
  auto s = stats();
  EXPECT_EQ(s.holds_placed_total, 6u);
  EXPECT_EQ(s.held, 5u);
  EXPECT_EQ(s.sold, 1u);
  EXPECT_EQ(s.available, 9u * 50 - 6);
}

TEST_F(CatalogActorTest, MultiBlockHoldsExpireInEveryBlock) {
  seats_config small;
  small.seats_per_block = 8;
  start(small);
  for (seat_no seat : {3u, 20u, 49u}) ASSERT_EQ(std::get<0>(hold(1, 6, seat)), code::created);
  EXPECT_EQ(available_of(6), 47u);
  advance(300s);
  EXPECT_EQ(available_of(6), 50u);
  EXPECT_EQ(std::get<1>(seats(6, false)).size(), 50u);
  EXPECT_EQ(stats().holds_expired_total, 3u);
}

}  // namespace
}  // namespace concert

namespace concert {
namespace {

TEST_F(CatalogActorTest, WithAStorePaymentStepsWriteOnlyTheSaleAndAnswerItOnceQueued) {
  auto held = std::make_shared<testing::held_writes>();
  auto writer = sys.spawn(testing::holding_writer, held);
  cat =
      spawn_catalog_persistent(sys, demo_catalog(), catalog_blocks(demo_catalog(), {}), tb, writer);
  sched.run();
  auto fail = [&](caf::error& e) { ADD_FAILURE() << sys.render(e); };
  auto hold_rh =
      self->request(cat, caf::infinite, hold_atom::value, user_id{7}, schedule_id{1}, seat_no{1});
  sched.run();
  EXPECT_TRUE(self->mailbox().empty()) << "a hold waits for its record";
  ASSERT_EQ(held->waiting.size(), 1u);
  testing::release(writer);
  sched.run();
  reservation r;
  hold_rh.receive(
      [&](code c, reservation x) {
        EXPECT_EQ(c, code::created);
        r = x;
      },
      fail);

  auto lock_rh = self->request(cat, caf::infinite, lock_atom::value, user_id{7}, r.id);
  sched.run();
  EXPECT_TRUE(held->waiting.empty()) << "a lock writes nothing: the stored HELD stands";
  lock_rh.receive([&](code c) { EXPECT_EQ(c, code::ok); }, fail);

  auto sell_rh = self->request(cat, caf::infinite, sell_atom::value, user_id{7}, r.id);
  sched.run();
  ASSERT_EQ(held->waiting.size(), 1u) << "the sale writes the seat";
  EXPECT_FALSE(self->mailbox().empty()) << "and answers once the write is queued";
  sell_rh.receive([&](code c) { EXPECT_EQ(c, code::ok); }, fail);
  auto list_rh = self->request(cat, caf::infinite, seats_atom::value, schedule_id{1}, true);
  sched.run();
  EXPECT_TRUE(self->mailbox().empty()) << "a listing waits until the sale is durable";
  testing::release(writer);
  sched.run();
  list_rh.receive(
      [&](code c, const std::vector<seat_info>& seats) {
        EXPECT_EQ(c, code::ok);
        ASSERT_FALSE(seats.empty());
        EXPECT_EQ(seats.front().status, seat_status::sold);
      },
      fail);
  EXPECT_EQ(held->batches.size(), 2u) << "one write for the hold, one for the sale";
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace concert
