// The wallet core: ledger rules, the payment state machine and the byte encoding of a
// whole wallet. No actor, clock or storage code here; see wallet.hpp for the contract.

#include "actors/wallet.hpp"

#include "actors/byte_codec.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace concert {

namespace {

/// Stays on in release builds: a broken ledger must stop the process, not spread.
void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "wallet invariant violated: %s\n", what);
  std::abort();
}

constexpr char magic[2] = {'C', 'W'};
constexpr uint8_t format_version = 1;

using writer = byte_writer;
using reader = byte_reader;

constexpr uint8_t max_code = static_cast<uint8_t>(code::unavailable);

void write_payment(writer& w, const payment& p) {
  w.u64(p.id);
  w.u64(p.reservation);
  w.u64(p.user);
  w.i64(p.amount);
  w.i64(p.balance);
  w.i64(p.paid_at);
}

payment read_payment(reader& r) {
  payment p;
  p.id = r.u64();
  p.reservation = r.u64();
  p.user = r.u64();
  p.amount = r.i64();
  p.balance = r.i64();
  p.paid_at = r.i64();
  return p;
}

bool read_bool(reader& r) {
  auto b = r.u8();
  if (b > 1) r.fail();
  return b == 1;
}

}  // namespace

bool wallet::empty() const { return charged_total_ == 0 && reservations_.empty() && keys_.empty(); }

code wallet::charge(points amount, time_us now, points max_balance) {
  // balance_ >= 0, so max_balance - balance_ cannot overflow once balance_ <= max_balance.
  if (amount <= 0 || balance_ > max_balance || amount > max_balance - balance_)
    return code::invalid_amount;
  balance_ += amount;
  charged_total_ += amount;
  history_.push_back(history_entry{history_kind::charge, amount, balance_, now});
  ++revision_;
  check();
  return code::ok;
}

std::vector<history_entry> wallet::history() const { return {history_.rbegin(), history_.rend()}; }

void wallet::add_reservation(const reservation& r) {
  require(r.user == user_, "reservation of another user");
  held h;
  h.id = r.id;
  h.schedule = r.schedule;
  h.seat = r.seat;
  h.price = r.price;
  h.expires_at = r.expires_at;
  require(reservations_.emplace(r.id, h).second, "reservation id granted twice");
  ++revision_;
}

uint32_t wallet::live_holds(time_us now) const {
  uint32_t n = 0;
  for (const auto& [id, h] : reservations_)
    if (!h.paid && now < h.expires_at) ++n;
  return n;
}

std::optional<reservation> wallet::view(reservation_id rid, time_us now) const {
  auto i = reservations_.find(rid);
  if (i == reservations_.end()) return std::nullopt;
  const held& h = i->second;
  reservation r{h.id, user_, h.schedule, h.seat, h.price, reservation_status::held, h.expires_at};
  if (h.paying)
    r.status = reservation_status::held;
  else if (h.paid)
    r.status = reservation_status::confirmed;
  else if (now >= h.expires_at)
    r.status = reservation_status::expired;
  return r;
}

pay_plan wallet::begin_pay(reservation_id rid, const std::string& key, time_us now) {
  auto i = reservations_.find(rid);
  if (i == reservations_.end()) return {pay_step::reply, {code::reservation_not_found, {}}};
  if (!key.empty()) {
    if (auto k = keys_.find(key); k != keys_.end()) return {pay_step::reply, k->second};
    if (keys_in_flight_.count(key) > 0) return {pay_step::wait, {}};
  }
  held& h = i->second;
  // Another payment of this reservation is running: refuse, but do not remember it, as
  // the refusal says nothing final about the reservation.
  if (h.paying) return {pay_step::reply, {code::reservation_not_payable, {}}};
  pay_outcome refused{code::ok, {}};
  if (h.paid)
    refused.result = code::reservation_not_payable;
  else if (now >= h.expires_at)
    refused.result = code::reservation_expired;
  if (refused.result != code::ok) {
    remember(key, refused);
    return {pay_step::reply, refused};
  }
  h.paying = true;
  ++paying_count_;
  if (!key.empty()) keys_in_flight_.emplace(key, rid);
  return {pay_step::lock, {}};
}

pay_outcome wallet::debit(reservation_id rid, time_us now) {
  auto i = reservations_.find(rid);
  if (i == reservations_.end()) return {code::reservation_not_found, {}};
  held& h = i->second;
  if (h.paid) return {code::ok, payment_of(h)};  // keyed: the first result, no change
  if (balance_ < h.price) return {code::insufficient_points, {}};
  balance_ -= h.price;
  spent_total_ += h.price;
  h.paid = true;
  h.balance_after = balance_;
  h.paid_at = now;
  history_.push_back(history_entry{history_kind::payment, h.price, balance_, now});
  ++revision_;
  check();
  return {code::ok, payment_of(h)};
}

void wallet::void_debit(reservation_id rid, time_us now) {
  auto i = reservations_.find(rid);
  if (i == reservations_.end() || !i->second.paid) return;
  held& h = i->second;
  balance_ += h.price;
  spent_total_ -= h.price;
  h.paid = false;
  h.balance_after = 0;
  h.paid_at = 0;
  history_.push_back(history_entry{history_kind::payment, -h.price, balance_, now});
  ++revision_;
  check();
}

void wallet::finish_pay(reservation_id rid, const std::string& key, const pay_outcome& out) {
  abort_pay(rid, key);
  remember(key, out);
}

void wallet::abort_pay(reservation_id rid, const std::string& key) {
  auto i = reservations_.find(rid);
  require(i != reservations_.end() && i->second.paying, "payment ended that never began");
  i->second.paying = false;
  --paying_count_;
  if (!key.empty()) keys_in_flight_.erase(key);
}

bool wallet::paying(reservation_id rid) const {
  auto i = reservations_.find(rid);
  return i != reservations_.end() && i->second.paying;
}

payment wallet::payment_of(const held& h) const {
  return payment{h.id, h.id, user_, h.price, h.balance_after, h.paid_at};
}

bool wallet::debited(reservation_id rid) const {
  auto i = reservations_.find(rid);
  return i != reservations_.end() && i->second.paid;
}

points wallet::price_of(reservation_id rid) const {
  auto i = reservations_.find(rid);
  return i == reservations_.end() ? 0 : i->second.price;
}

void wallet::complete_recovered(reservation_id rid, const std::string& key) {
  auto i = reservations_.find(rid);
  if (i == reservations_.end() || !i->second.paid) return;
  remember(key, pay_outcome{code::created, payment_of(i->second)});
}

void wallet::remember(const std::string& key, const pay_outcome& out) {
  if (key.empty() || !keys_.emplace(key, out).second) return;
  ++revision_;
  key_order_.push_back(key);
  if (key_order_.size() > max_keys) {
    keys_.erase(key_order_.front());
    key_order_.erase(key_order_.begin());  // rare (a client inventing keys): O(max_keys) is fine
  }
}

void wallet::check() const {
  require(balance_ >= 0, "negative balance");
  require(spent_total_ >= 0, "negative spent total");
  require(charged_total_ == balance_ + spent_total_, "charged != balance + spent");
  require(keys_.size() == key_order_.size(), "key index out of step");
}

std::string wallet::encode() const {
  writer w;
  w.raw(magic, sizeof magic);
  w.u8(format_version);
  w.u64(user_);
  w.i64(balance_);
  w.i64(charged_total_);
  w.i64(spent_total_);
  w.u32(static_cast<uint32_t>(history_.size()));
  for (const auto& e : history_) {
    w.u8(static_cast<uint8_t>(e.kind));
    w.i64(e.amount);
    w.i64(e.balance);
    w.i64(e.at);
  }
  w.u32(static_cast<uint32_t>(reservations_.size()));
  for (const auto& [id, h] : reservations_) {
    w.u64(h.id);
    w.u64(h.schedule);
    w.u32(h.seat);
    w.i64(h.price);
    w.i64(h.expires_at);
    w.u8(h.paid ? 1 : 0);
    w.i64(h.balance_after);
    w.i64(h.paid_at);
  }
  w.u32(static_cast<uint32_t>(key_order_.size()));
  for (const auto& key : key_order_) {  // oldest first, so eviction order survives
    const auto& out = keys_.at(key);
    w.str(key);
    w.u8(static_cast<uint8_t>(out.result));
    write_payment(w, out.paid);
  }
  return w.take();
}

std::optional<wallet> wallet::decode(std::string_view bytes) {
  if (bytes.size() < 3 || bytes[0] != magic[0] || bytes[1] != magic[1]) return std::nullopt;
  reader r{bytes.substr(2)};
  if (r.u8() != format_version) return std::nullopt;
  wallet w{r.u64()};
  w.balance_ = r.i64();
  w.charged_total_ = r.i64();
  w.spent_total_ = r.i64();
  // Counts are not trusted for allocation: every loop step reads bytes or fails.
  for (uint32_t n = r.u32(); r.ok() && n > 0; --n) {
    history_entry e;
    auto kind = r.u8();
    if (kind > static_cast<uint8_t>(history_kind::payment)) r.fail();
    e.kind = static_cast<history_kind>(kind);
    e.amount = r.i64();
    e.balance = r.i64();
    e.at = r.i64();
    w.history_.push_back(e);
  }
  for (uint32_t n = r.u32(); r.ok() && n > 0; --n) {
    held h;
    h.id = r.u64();
    h.schedule = r.u64();
    h.seat = r.u32();
    h.price = r.i64();
    h.expires_at = r.i64();
    h.paid = read_bool(r);
    h.balance_after = r.i64();
    h.paid_at = r.i64();
    if (h.price < 0 || !w.reservations_.emplace(h.id, h).second) r.fail();
  }
  uint32_t keys = r.u32();
  if (keys > max_keys) r.fail();
  for (; r.ok() && keys > 0; --keys) {
    auto key = r.str();
    auto result = r.u8();
    if (result > max_code || key.empty()) r.fail();
    pay_outcome out{static_cast<code>(result), read_payment(r)};
    if (!w.keys_.emplace(key, out).second) r.fail();
    w.key_order_.push_back(std::move(key));
  }
  if (!r.ok() || !r.at_end()) return std::nullopt;
  // Checked here rather than by check(): bad input is refused, not fatal.
  if (w.balance_ < 0 || w.spent_total_ < 0 || w.charged_total_ < 0) return std::nullopt;
  if (w.charged_total_ - w.spent_total_ != w.balance_) return std::nullopt;
  return w;
}

archive_read memory_wallet_archive::load(user_id user) {
  auto i = saved_.find(user);
  if (i == saved_.end()) return {};
  return {i->second, {}};
}

void memory_wallet_archive::save(user_id user, std::string bytes) {
  saved_[user] = std::move(bytes);
}

}  // namespace concert
