// Folds replies into the trace, the digest, the counters and the invariant records.

#include "simulation/recorder.hpp"

#include <cinttypes>
#include <utility>

namespace concert::sim {

std::string fnv1a64::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h_);
  return buf;
}

const char* ending_name(ending e) {
  switch (e) {
    case ending::running:
      return "running";
    case ending::bought:
      return "bought";
    case ending::partly_bought:
      return "partlyBought";
    case ending::sold_out:
      return "soldOut";
    case ending::abandoned:
      return "abandoned";
    case ending::gave_up:
      return "gaveUp";
    case ending::never_paid:
      return "neverPaid";
    case ending::failed:
      return "failed";
  }
  return "running";
}

recorder::recorder(bool ordered_channel) : ordered_(ordered_channel) {}

recorder::~recorder() { close_trace(); }

bool recorder::open_trace(const std::string& path) {
  close_trace();
  if (path.empty()) return true;
  trace_ = std::fopen(path.c_str(), "w");
  if (trace_ != nullptr) std::fputs("# t_us user op outcome a b c\n", trace_);
  return trace_ != nullptr;
}

void recorder::close_trace() {
  if (trace_ != nullptr) std::fclose(trace_);
  trace_ = nullptr;
}

void recorder::emit(const trace_event& e) {
  ++counts_.events;
  digest_.add(static_cast<uint64_t>(e.t));
  digest_.add(e.user);
  digest_.add(static_cast<uint64_t>(e.kind));
  digest_.add(e.outcome);
  digest_.add(e.a);
  digest_.add(e.b);
  digest_.add(e.c);
  if (e.t > last_t_) last_t_ = e.t;
  if (trace_ != nullptr)
    std::fprintf(trace_, "%" PRId64 " %" PRIu64 " %s %u %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", e.t,
                 e.user, op_name(e.kind), static_cast<unsigned>(e.outcome), e.a, e.b, e.c);
}

trace_event recorder::event_of(user_id user, const action& sent, const outcome& o,
                               time_us now) const {
  trace_event e;
  e.t = now;
  e.user = user;
  e.kind = sent.kind;
  e.outcome = o.failed ? 255 : static_cast<uint8_t>(o.c);
  switch (sent.kind) {
    case op::issue:
    case op::poll:
      e.a = o.token.active ? 0 : o.token.position;
      e.b = static_cast<uint64_t>(o.token.next_poll_seconds);
      e.c = o.token.active ? 1 : 0;
      break;
    case op::charge:
      e.a = static_cast<uint64_t>(sent.amount);
      e.b = static_cast<uint64_t>(o.balance);
      break;
    case op::concerts:
      e.a = o.concerts.size();
      break;
    case op::schedules:
      e.a = sent.concert;
      for (const auto& s : o.schedules) e.b += s.available_seats;
      break;
    case op::seats:
      e.a = sent.schedule;
      e.b = o.seats.size();
      break;
    case op::hold:
      e.a = sent.schedule;
      e.b = sent.seat;
      e.c = o.resv.id;
      break;
    case op::pay:
      e.a = sent.resv;
      e.b = static_cast<uint64_t>(o.pay.amount);
      e.c = static_cast<uint64_t>(o.pay.balance);
      break;
    default:
      break;
  }
  return e;
}

void recorder::observe(uint32_t fan, user_id user, const action& sent, const outcome& o,
                       time_us now, uint64_t send_stamp, uint64_t recv_stamp) {
  ++counts_.operations;
  emit(event_of(user, sent, o, now));
  if (o.failed) return on_failure(fan, user, sent, send_stamp);
  switch (sent.kind) {
    case op::issue:
    case op::poll:
      on_token(fan, user, sent, o, now, send_stamp, recv_stamp);
      break;
    case op::leave:
      ++counts_.leaves;
      break;
    case op::charge:
      if (succeeded(o.c)) {
        users_[user].charged += sent.amount;
        counts_.points_charged += sent.amount;
      }
      break;
    case op::hold:
      on_hold(user, sent, o);
      break;
    case op::pay:
      on_pay(user, sent, o, now);
      break;
    default:
      break;
  }
}

void recorder::on_token(uint32_t fan, user_id user, const action& sent, const outcome& o,
                        time_us now, uint64_t send_stamp, uint64_t recv_stamp) {
  if (sent.kind == op::poll) ++counts_.polls;
  if (!succeeded(o.c)) return;
  if (fan >= fan_token_.size()) fan_token_.resize(fan + 1, 0);
  uint32_t& slot = fan_token_[fan];
  uint64_t lost = 0;  // an earlier issue of this fan that got no answer
  if (sent.kind == op::issue && fan < lost_issue_.size()) std::swap(lost, lost_issue_[fan]);
  if (sent.kind == op::issue &&
      (o.c == code::created || lost != 0 || slot == 0 || tokens_[slot - 1].user != user)) {
    token_record t;
    t.user = user;
    // Found, not created: the lost request made this token, so it was issued then.
    t.issue_send = lost != 0 && o.c != code::created ? lost : send_stamp;
    t.issue_recv = lost != 0 && o.c != code::created ? lost : recv_stamp;
    t.issued_at = now;
    tokens_.push_back(t);
    slot = static_cast<uint32_t>(tokens_.size());
    if (o.c == code::created || lost != 0) ++counts_.tokens_issued;
  }
  if (slot == 0) return;
  token_record& t = tokens_[slot - 1];
  if (o.token.active) {
    if (t.admitted_at < 0) {
      t.admitted_at = now;
      ++counts_.admitted;
    }
    if (recv_stamp < t.first_active_recv) t.first_active_recv = recv_stamp;
  } else if (send_stamp > t.last_wait_send) {
    t.last_wait_send = send_stamp;
  }
}

void recorder::on_failure(uint32_t fan, user_id user, const action& sent, uint64_t send_stamp) {
  ++counts_.failures;
  if (sent.kind == op::issue) {
    if (fan >= lost_issue_.size()) lost_issue_.resize(fan + 1, 0);
    if (lost_issue_[fan] == 0) lost_issue_[fan] = send_stamp;
  }
  if (sent.kind == op::charge) users_[user].uncertain_charged += sent.amount;
  if (sent.kind == op::pay && payments_.count(sent.resv) == 0) uncertain_pays_[sent.resv] = user;
}

void recorder::on_hold(user_id user, const action& sent, const outcome& o) {
  if (o.c == code::seat_unavailable) ++counts_.hold_conflicts;
  if (o.c != code::created) return;
  ++counts_.holds_placed;
  holds_.push_back({o.resv.id, user, sent.schedule, sent.seat, o.resv.price, o.resv.expires_at});
  if (o.resv.user != user || o.resv.seat != sent.seat || o.resv.schedule != sent.schedule)
    online_violations_.push_back("hold for user " + std::to_string(user) +
                                 " returned a reservation of another user or seat");
}

void recorder::on_pay(user_id user, const action& sent, const outcome& o, time_us now) {
  // Any answer settles an earlier lost attempt: lost attempts are retried with the same
  // key, which replays what the lost one did (a completed payment or a refusal).
  uncertain_pays_.erase(sent.resv);
  if (!succeeded(o.c)) {
    ++counts_.payments_rejected;
    return;
  }
  auto it = payments_.find(sent.resv);
  if (it != payments_.end()) {
    ++counts_.duplicate_payments;
    if (it->second.id != o.pay.id || it->second.amount != o.pay.amount)
      online_violations_.push_back("reservation " + std::to_string(sent.resv) +
                                   " answered a repeated payment with a different payment");
    return;
  }
  payments_[sent.resv] = {sent.resv, user, o.pay.id, o.pay.amount, now};
  users_[user].spent += o.pay.amount;
  ++counts_.payments_succeeded;
  counts_.points_spent += o.pay.amount;
  if (o.pay.reservation != sent.resv || o.pay.user != user)
    online_violations_.push_back("payment for reservation " + std::to_string(sent.resv) +
                                 " names another reservation or user");
}

void recorder::finished(user_id user, ending how, time_us now) {
  ++counts_.endings[ending_name(how)];
  trace_event e;
  e.t = now;
  e.user = user;
  e.kind = op::done;
  e.outcome = static_cast<uint8_t>(how);
  emit(e);
}

void recorder::sample(time_us t, uint64_t waiting, uint64_t active) {
  series_.push_back({t, waiting, active, counts_.payments_succeeded});
  trace_event e;
  e.t = t;
  e.kind = op::none;
  e.a = waiting;
  e.b = active;
  e.c = counts_.payments_succeeded;
  emit(e);
}

}  // namespace concert::sim
