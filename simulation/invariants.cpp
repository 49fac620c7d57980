// The invariant checks, one function per promise. Each adds readable violations to a
// shared list; the caller decides the exit status.

#include "simulation/invariants.hpp"

#include <algorithm>

namespace concert::sim {

namespace {

class violations {
 public:
  explicit violations(size_t limit) : limit_(limit) {}
  void add(std::string s) {
    ++total_;
    if (list_.size() < limit_) list_.push_back(std::move(s));
  }
  std::vector<std::string> list_;
  uint64_t total_ = 0;

 private:
  size_t limit_;
};

std::string seat_name(schedule_id s, seat_no n) {
  return "schedule " + std::to_string(s) + " seat " + std::to_string(n);
}

using seat_key = std::pair<schedule_id, seat_no>;

/// Paid reservations per seat, and the holds by id.
struct indexes {
  std::map<reservation_id, const hold_record*> holds;
  std::map<seat_key, std::vector<reservation_id>> paid_by_seat;
  std::map<seat_key, std::vector<const hold_record*>> holds_by_seat;
};

indexes index_of(const recorder& rec, violations& v) {
  indexes ix;
  for (const auto& h : rec.holds()) {
    ix.holds[h.id] = &h;
    ix.holds_by_seat[{h.schedule, h.seat}].push_back(&h);
  }
  for (const auto& [id, p] : rec.payments()) {
    auto it = ix.holds.find(id);
    if (it == ix.holds.end()) {
      v.add("payment for reservation " + std::to_string(id) + " that the run never held");
      continue;
    }
    ix.paid_by_seat[{it->second->schedule, it->second->seat}].push_back(id);
  }
  return ix;
}

/// A payment for this seat got no answer and was never settled by a later one.
bool uncertain_payment_for(const recorder& rec, const indexes& ix, schedule_id s, seat_no n) {
  auto it = ix.holds_by_seat.find({s, n});
  if (it == ix.holds_by_seat.end()) return false;
  for (const hold_record* h : it->second)
    if (rec.uncertain_payments().count(h->id) != 0) return true;
  return false;
}

const seat_info* find_seat(const final_state& fs, schedule_id s, seat_no n) {
  auto it = fs.seats.find(s);
  if (it == fs.seats.end()) return nullptr;
  auto j = std::lower_bound(it->second.begin(), it->second.end(), n,
                            [](const seat_info& a, seat_no b) { return a.seat < b; });
  return j != it->second.end() && j->seat == n ? &*j : nullptr;
}

/// Every seat sold at most once, each sold seat with exactly one payment, and the money
/// of the payments equal to the prices of the sold seats.
void check_sales(const recorder& rec, const final_state& fs, const indexes& ix, violations& v,
                 invariant_result& r) {
  points sold_prices = 0, paid_uncertain = 0;
  for (const auto& [sched, seats] : fs.seats)
    for (const auto& s : seats) {
      if (s.status != seat_status::sold) continue;
      ++r.seats_sold;
      sold_prices += s.price;
      auto it = ix.paid_by_seat.find({sched, s.seat});
      size_t n = it == ix.paid_by_seat.end() ? 0 : it->second.size();
      if (n == 0 && uncertain_payment_for(rec, ix, sched, s.seat)) {
        paid_uncertain += s.price;  // a payment whose answer a crash swallowed
        continue;
      }
      if (n == 0 && fs.exclusive)
        v.add(seat_name(sched, s.seat) + " is SOLD without a successful payment");
      if (n > 1) v.add(seat_name(sched, s.seat) + " has " + std::to_string(n) + " payments");
    }
  points paid = 0;
  for (const auto& [seat, ids] : ix.paid_by_seat) {
    const seat_info* s = find_seat(fs, seat.first, seat.second);
    if (s == nullptr || s->status != seat_status::sold)
      v.add(seat_name(seat.first, seat.second) + " was paid for but is not SOLD");
    for (auto id : ids) {
      paid += rec.payments().at(id).amount;
      auto rv = fs.reservations.find(id);
      if (rv != fs.reservations.end() && rv->second.status != reservation_status::confirmed)
        v.add("paid reservation " + std::to_string(id) + " is " +
              std::string(reservation_status_name(rv->second.status)));
    }
  }
  paid += paid_uncertain;
  if (fs.exclusive && paid != sold_prices)
    v.add("successful payments sum to " + std::to_string(paid) + " points, sold seats cost " +
          std::to_string(sold_prices));
}

/// Points the run cannot be sure of for `user`: charges and payments whose answer a
/// crash swallowed (each may or may not have happened).
points uncertain_spent(const recorder& rec, const indexes& ix, user_id user) {
  points p = 0;
  for (const auto& [id, who] : rec.uncertain_payments())
    if (who == user)
      if (auto h = ix.holds.find(id); h != ix.holds.end()) p += h->second->price;
  return p;
}

/// No balance below zero; charged = balance + spent; the history tells the same story.
/// When some of the user's requests got no answer, the history must lie between what
/// was acknowledged and what was sent, and still balance: balance = charges - payments.
void check_wallets(const recorder& rec, const final_state& fs, const indexes& ix, violations& v) {
  for (const auto& [user, tally] : rec.users()) {
    auto b = fs.balances.find(user);
    if (b == fs.balances.end()) {
      v.add("no final balance for user " + std::to_string(user));
      continue;
    }
    const std::string who = "user " + std::to_string(user);
    if (b->second < 0) v.add(who + " has a negative balance " + std::to_string(b->second));
    const points maybe_spent = uncertain_spent(rec, ix, user);
    const bool exact = tally.uncertain_charged == 0 && maybe_spent == 0;
    if (exact && tally.charged != b->second + tally.spent)
      v.add(who + ": charged " + std::to_string(tally.charged) + " != balance " +
            std::to_string(b->second) + " + spent " + std::to_string(tally.spent));
    auto h = fs.histories.find(user);
    if (h == fs.histories.end()) {
      if (!exact) v.add(who + " has uncertain requests but no history to settle them");
      continue;
    }
    points charges = 0, payments = 0;
    for (const auto& e : h->second) {
      (e.kind == history_kind::charge ? charges : payments) += e.amount;
      if (e.balance < 0) v.add(who + " history shows a negative balance");
    }
    const bool agrees =
        exact ? charges == tally.charged && payments == tally.spent
              : charges >= tally.charged && charges <= tally.charged + tally.uncertain_charged &&
                    payments >= tally.spent && payments <= tally.spent + maybe_spent &&
                    charges == b->second + payments;
    if (!agrees)
      v.add(who + " history has charges " + std::to_string(charges) + " and payments " +
            std::to_string(payments) + ", the run saw " + std::to_string(tally.charged) + " (+" +
            std::to_string(tally.uncertain_charged) + " unanswered) and " +
            std::to_string(tally.spent) + " (+" + std::to_string(maybe_spent) + " unanswered)");
    if (!h->second.empty() && h->second.front().balance != b->second)
      v.add(who + " newest history balance differs from the balance");
  }
}

/// A hold past its deadline is over: its reservation EXPIRED, its seat available, sold
/// to someone who paid, or held by a later hold that is still live. A held seat belongs
/// to a live hold of the run.
void check_holds(const recorder& rec, const final_state& fs, const indexes& ix, violations& v,
                 invariant_result& r) {
  auto live_other = [&](const hold_record& h) {
    for (const hold_record* o : ix.holds_by_seat.at({h.schedule, h.seat}))
      if (o->id != h.id && o->expires_at > fs.now && rec.payments().count(o->id) == 0) return true;
    return false;
  };
  for (const auto& h : rec.holds()) {
    if (rec.payments().count(h.id) != 0 || h.expires_at > fs.now) continue;
    if (rec.uncertain_payments().count(h.id) != 0) continue;  // may have been paid
    ++r.holds_expired;
    const std::string what =
        "expired hold " + std::to_string(h.id) + " (" + seat_name(h.schedule, h.seat) + ")";
    auto rv = fs.reservations.find(h.id);
    if (rv != fs.reservations.end() && rv->second.status != reservation_status::expired)
      v.add(what + " is still " + std::string(reservation_status_name(rv->second.status)));
    const seat_info* s = find_seat(fs, h.schedule, h.seat);
    if (s == nullptr) {
      v.add(what + ": the seat is missing from the listing");
    } else if (s->status == seat_status::sold) {
      if (ix.paid_by_seat.count({h.schedule, h.seat}) == 0 && fs.exclusive)
        v.add(what + ": the seat is SOLD but nobody paid for it");
    } else if (s->status != seat_status::available && fs.exclusive && !live_other(h)) {
      v.add(what + ": the seat is still HELD");
    }
  }
  if (!fs.exclusive) return;
  for (const auto& [sched, seats] : fs.seats)
    for (const auto& s : seats) {
      if (s.status != seat_status::held && s.status != seat_status::paying) continue;
      bool explained = false;
      auto it = ix.holds_by_seat.find({sched, s.seat});
      if (it != ix.holds_by_seat.end())
        for (const hold_record* h : it->second)
          explained |= h->expires_at > fs.now && rec.payments().count(h->id) == 0;
      if (!explained) v.add(seat_name(sched, s.seat) + " is HELD but no live hold explains it");
    }
}

}  // namespace

std::vector<std::string> check_fifo(const std::vector<token_record>& tokens, bool ordered,
                                    size_t limit) {
  // Sort by the stamp that proves "issued earlier"; a prefix of that order is then the
  // set of tokens certainly issued before a given one.
  std::vector<const token_record*> by_issue;
  for (const auto& t : tokens) by_issue.push_back(&t);
  auto proof = [&](const token_record* t) { return ordered ? t->issue_send : t->issue_recv; };
  std::stable_sort(by_issue.begin(), by_issue.end(),
                   [&](auto* a, auto* b) { return proof(a) < proof(b); });
  std::vector<uint64_t> proofs, prefix_wait;
  std::vector<const token_record*> prefix_who;
  uint64_t best = 0;
  const token_record* who = nullptr;
  for (auto* t : by_issue) {
    proofs.push_back(proof(t));
    if (t->last_wait_send > best) {
      best = t->last_wait_send;
      who = t;
    }
    prefix_wait.push_back(best);
    prefix_who.push_back(who);
  }
  std::vector<std::string> out;
  for (const auto& b : tokens) {
    if (b.admitted_at < 0) continue;
    // Tokens certainly issued before b: proof < b.issue_send.
    auto n = static_cast<size_t>(std::lower_bound(proofs.begin(), proofs.end(), b.issue_send) -
                                 proofs.begin());
    if (n == 0) continue;
    // (With ordered stamps the driver records the send stamp as the reply stamp.)
    if (prefix_wait[n - 1] > b.first_active_recv && out.size() < limit)
      out.push_back("user " + std::to_string(b.user) + " was admitted while user " +
                    std::to_string(prefix_who[n - 1]->user) +
                    ", issued earlier, was still waiting");
  }
  return out;
}

std::vector<std::string> check_admission_order(const std::vector<uint64_t>& admissions,
                                               size_t limit) {
  std::vector<std::string> out;
  for (size_t i = 1; i < admissions.size() && out.size() < limit; ++i)
    if (admissions[i] <= admissions[i - 1])
      out.push_back("the gate admitted token #" + std::to_string(admissions[i]) + " after #" +
                    std::to_string(admissions[i - 1]) + ", issued later");
  return out;
}

invariant_result check_invariants(const recorder& rec, const final_state& fs, size_t limit) {
  invariant_result r;
  violations v{limit};
  for (const auto& s : rec.online_violations()) v.add(s);
  const indexes ix = index_of(rec, v);
  check_sales(rec, fs, ix, v, r);
  check_wallets(rec, fs, ix, v);
  check_holds(rec, fs, ix, v, r);
  for (auto& s : check_fifo(rec.tokens(), rec.ordered_channel(), limit)) v.add(std::move(s));
  for (auto& s : check_admission_order(fs.admissions, limit)) v.add(std::move(s));
  r.violations = std::move(v.list_);
  r.total = v.total_;
  r.ok = r.total == 0;
  return r;
}

}  // namespace concert::sim
