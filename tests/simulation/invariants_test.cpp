// The end-of-run checks must catch each kind of broken promise (and stay quiet on a
// clean run): records and final states are built by hand, one fault at a time.

#include <gtest/gtest.h>

#include "simulation/invariants.hpp"

using namespace concert;
using namespace concert::sim;

namespace {

constexpr time_us epoch = 1'000'000'000'000;

/// One fan (user 1) who charged 200,000, held seat 5 of schedule 1 and paid 150,000;
/// the final state agrees unless a test breaks it.
struct clean_run {
  recorder rec{true};
  final_state fs;
  uint64_t stamp = 0;

  void observe(user_id u, const action& a, const outcome& o, time_us at = 0) {
    ++stamp;
    rec.observe(static_cast<uint32_t>(u), u, a, o, at, stamp, stamp);
  }

  clean_run() {
    action charge;
    charge.kind = op::charge;
    charge.amount = 200'000;
    outcome ok;
    ok.c = code::ok;
    ok.balance = 200'000;
    observe(1, charge, ok);
    hold(1, 11, 5);
    pay(1, 11, 150'000);
    fs.now = epoch + seconds_us(10);
    fs.seats[1] = {{4, 150'000, seat_status::available},
                   {5, 150'000, seat_status::sold},
                   {6, 150'000, seat_status::available}};
    fs.balances[1] = 50'000;
    fs.histories[1] = {{history_kind::payment, 150'000, 50'000, 0},
                       {history_kind::charge, 200'000, 200'000, 0}};
    fs.reservations[11] = reservation{11, 1, 1, 5, 150'000, reservation_status::confirmed, 0};
  }

  void hold(user_id u, reservation_id id, seat_no seat, time_us expires = epoch + seconds_us(300)) {
    action a;
    a.kind = op::hold;
    a.schedule = 1;
    a.seat = seat;
    outcome o;
    o.c = code::created;
    o.resv = reservation{id, u, 1, seat, 150'000, reservation_status::held, expires};
    observe(u, a, o);
  }

  void pay(user_id u, reservation_id id, points amount) {
    action a;
    a.kind = op::pay;
    a.resv = id;
    outcome o;
    o.c = code::created;
    o.pay = payment{id, id, u, amount, 0, 0};
    observe(u, a, o);
  }

  invariant_result check() const { return check_invariants(rec, fs); }
};

bool mentions(const invariant_result& r, const std::string& what) {
  for (const auto& v : r.violations)
    if (v.find(what) != std::string::npos) return true;
  return false;
}

token_record token(user_id u, uint64_t issued, uint64_t last_wait, uint64_t active_at) {
  token_record t;
  t.user = u;
  t.issue_send = t.issue_recv = issued;
  t.last_wait_send = last_wait;
  if (active_at != 0) {
    t.first_active_recv = active_at;
    t.admitted_at = 1;
  }
  return t;
}

}  // namespace

TEST(InvariantsTest, CleanRunPasses) {
  clean_run r;
  auto res = r.check();
  EXPECT_TRUE(res.ok) << (res.violations.empty() ? "" : res.violations.front());
  EXPECT_EQ(res.seats_sold, 1u);
}

TEST(InvariantsTest, SeatSoldWithoutPaymentIsCaught) {
  clean_run r;
  r.fs.seats[1][0].status = seat_status::sold;
  auto res = r.check();
  EXPECT_FALSE(res.ok);
  EXPECT_TRUE(mentions(res, "seat 4 is SOLD without a successful payment"));
  EXPECT_TRUE(mentions(res, "payments sum to 150000 points, sold seats cost 300000"));
}

TEST(InvariantsTest, SeatPaidTwiceIsCaught) {
  clean_run r;
  r.hold(2, 12, 5);
  r.pay(2, 12, 150'000);
  r.fs.balances[2] = 0;
  auto res = r.check();
  EXPECT_FALSE(res.ok);
  EXPECT_TRUE(mentions(res, "seat 5 has 2 payments"));
}

TEST(InvariantsTest, PaidSeatThatIsNotSoldIsCaught) {
  clean_run r;
  r.fs.seats[1][1].status = seat_status::available;
  EXPECT_TRUE(mentions(r.check(), "was paid for but is not SOLD"));
}

TEST(InvariantsTest, WalletThatDoesNotAddUpIsCaught) {
  clean_run r;
  r.fs.balances[1] = -1;
  auto res = r.check();
  EXPECT_TRUE(mentions(res, "negative balance"));
  EXPECT_TRUE(mentions(res, "charged 200000 != balance -1 + spent 150000"));
}

TEST(InvariantsTest, DoubleDebitInTheHistoryIsCaught) {
  clean_run r;
  r.fs.histories[1].insert(r.fs.histories[1].begin(),
                           history_entry{history_kind::payment, 150'000, -100'000, 0});
  r.fs.balances[1] = -100'000;
  auto res = r.check();
  EXPECT_TRUE(mentions(res, "history has charges 200000 and payments 300000"));
}

TEST(InvariantsTest, HoldThatOutlivedItsDeadlineIsCaught) {
  clean_run r;
  r.hold(3, 13, 6, epoch + seconds_us(5));  // deadline before fs.now
  r.fs.seats[1][2].status = seat_status::held;
  r.fs.reservations[13] = reservation{13, 3, 1, 6, 150'000, reservation_status::held, 0};
  auto res = r.check();
  EXPECT_TRUE(mentions(res, "expired hold 13 (schedule 1 seat 6) is still HELD"));
  EXPECT_TRUE(mentions(res, "the seat is still HELD"));
  EXPECT_EQ(res.holds_expired, 1u);
}

TEST(InvariantsTest, ExpiredHoldWhoseSeatAnotherLiveHoldHasIsFine) {
  clean_run r;
  r.hold(3, 13, 6, epoch + seconds_us(5));
  r.hold(4, 14, 6, epoch + seconds_us(500));
  r.fs.seats[1][2].status = seat_status::held;
  r.fs.reservations[13] = reservation{13, 3, 1, 6, 150'000, reservation_status::expired, 0};
  auto res = r.check();
  EXPECT_TRUE(res.ok) << (res.violations.empty() ? "" : res.violations.front());
}

TEST(InvariantsTest, HeldSeatNobodyHoldsIsCaught) {
  clean_run r;
  r.fs.seats[1][0].status = seat_status::held;
  EXPECT_TRUE(mentions(r.check(), "seat 4 is HELD but no live hold explains it"));
}

TEST(InvariantsTest, AdmissionAheadOfAnEarlierWaiterIsCaught) {
  // Token 1 issued first, still seen waiting (stamp 9) after token 2 was seen active (5).
  std::vector<token_record> t = {token(1, 1, 9, 0), token(2, 2, 3, 5)};
  auto v = check_fifo(t, true, 10);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("user 2 was admitted while user 1"), std::string::npos);
}

TEST(InvariantsTest, FifoAdmissionPasses) {
  std::vector<token_record> t = {token(1, 1, 4, 6), token(2, 2, 7, 9), token(3, 3, 8, 0)};
  EXPECT_TRUE(check_fifo(t, true, 10).empty());
}

TEST(InvariantsTest, UnorderedChannelFlagsOnlyWhatIsCertain) {
  // Two issues in flight at once: which came first is unknown, so no verdict.
  token_record a = token(1, 1, 9, 0), b = token(2, 2, 3, 5);
  a.issue_recv = 4;
  EXPECT_TRUE(check_fifo({a, b}, false, 10).empty());
  a.issue_recv = 1;  // a's issue was answered before b's was sent: a is earlier
  EXPECT_EQ(check_fifo({a, b}, false, 10).size(), 1u);
}

TEST(InvariantsTest, GateAdmittingOutOfIssueOrderIsCaught) {
  clean_run r;
  r.fs.admissions = {1, 2, 5, 9};
  EXPECT_TRUE(r.check().ok);
  r.fs.admissions = {1, 5, 3, 9};
  auto res = r.check();
  EXPECT_FALSE(res.ok);
  EXPECT_TRUE(mentions(res, "admitted token #3 after #5"));
}

TEST(InvariantsTest, ALostChargeMayHaveHappenedButNoMore) {
  clean_run r;
  action charge;
  charge.kind = op::charge;
  charge.amount = 30'000;
  outcome lost;
  lost.failed = true;
  r.observe(1, charge, lost);  // a crash swallowed the answer; it did go through
  r.fs.balances[1] = 80'000;
  r.fs.histories[1].insert(r.fs.histories[1].begin(), {history_kind::charge, 30'000, 80'000, 0});
  auto ok = r.check();
  EXPECT_TRUE(ok.ok) << (ok.violations.empty() ? "" : ok.violations.front());
  // Twice the lost charge is more than was ever sent.
  r.fs.balances[1] = 110'000;
  r.fs.histories[1].insert(r.fs.histories[1].begin(), {history_kind::charge, 30'000, 110'000, 0});
  EXPECT_TRUE(mentions(r.check(), "history has charges 260000"));
}

TEST(InvariantsTest, ALostPaymentThatWentThroughCountsForItsSeat) {
  clean_run r;
  r.hold(2, 12, 6);
  action pay;
  pay.kind = op::pay;
  pay.resv = 12;
  outcome lost;
  lost.failed = true;
  r.observe(2, pay, lost);
  r.fs.seats[1][2].status = seat_status::sold;  // the lost payment completed
  r.fs.reservations[12] = reservation{12, 2, 1, 6, 150'000, reservation_status::confirmed, 0};
  auto res = r.check();
  EXPECT_TRUE(res.ok) << (res.violations.empty() ? "" : res.violations.front());
  // An answer for the same reservation settles it: then the seat needs a payment.
  outcome refused;
  refused.c = code::reservation_expired;
  r.observe(2, pay, refused);
  EXPECT_TRUE(mentions(r.check(), "seat 6 is SOLD without a successful payment"));
}
