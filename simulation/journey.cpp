// The fan's decisions, step by step. Every reply lands in one handler per request kind;
// `proceed` is the one place that decides what an admitted fan does next (hold more,
// pay, refresh the listing, give up), so the rules read top to bottom.

#include "simulation/journey.hpp"

#include <algorithm>

namespace concert::sim {

const char* op_name(op k) {
  switch (k) {
    case op::none:
      return "none";
    case op::charge:
      return "charge";
    case op::issue:
      return "issue";
    case op::poll:
      return "poll";
    case op::leave:
      return "leave";
    case op::concerts:
      return "concerts";
    case op::schedules:
      return "schedules";
    case op::seats:
      return "seats";
    case op::hold:
      return "hold";
    case op::pay:
      return "pay";
    case op::done:
      return "done";
  }
  return "none";
}

journey_rules rules_from(const workload_config& cfg) {
  journey_rules r;
  r.think_mean = cfg.think_ms * 1000;
  r.preference = cfg.preference;
  r.best_window = cfg.best_window;
  r.max_visits = cfg.max_visits;
  r.browse_limit = cfg.browse_limit;
  r.conflict_limit = cfg.conflict_limit;
  r.refresh_limit = cfg.refresh_limit;
  return r;
}

fan_journey::fan_journey(const fan_plan& plan, const journey_rules& rules)
    : plan_(plan), rules_(&rules), rng_(plan.stream) {}

action fan_journey::make(op k, time_us at) const {
  action a;
  a.kind = k;
  a.at = at;
  return a;
}

time_us fan_journey::think(time_us now) { return now + exponential_us(rng_, rules_->think_mean); }

bool fan_journey::guard_refused(const outcome& o) const {
  return o.c == code::token_expired || o.c == code::token_invalid ||
         o.c == code::queue_not_admitted;
}

action fan_journey::start() {
  if (plan_.budget > 0) {
    auto a = make(op::charge, plan_.arrival);
    a.amount = plan_.budget;
    return a;
  }
  return make(op::issue, plan_.arrival);
}

action fan_journey::on_reply(const action& sent, outcome& o, time_us now) {
  if (o.failed) return on_failure(sent, now);
  failures_ = 0;
  if (is_guarded(sent.kind) && guard_refused(o)) {
    token_live_ = false;
    return rejoin_or_finish(now, bought_ > 0 ? ending::partly_bought : ending::gave_up);
  }
  switch (sent.kind) {
    case op::charge:
      return on_charge(sent, o, now);
    case op::issue:
    case op::poll:
      return on_token(sent, o, now);
    case op::leave:
      token_live_ = false;
      end_ = pending_end_;
      return make(op::done, now);
    case op::concerts:
      return on_concerts(o, now);
    case op::schedules:
      return on_schedules(o, now);
    case op::seats:
      return on_seats(o, now);
    case op::hold:
      return on_hold(o, now);
    case op::pay:
      return on_pay(sent, o, now);
    case op::none:
    case op::done:
      break;
  }
  return make(op::done, now);
}

action fan_journey::on_failure(const action& sent, time_us now) {
  if (failures_ >= rules_->retries) {
    end_ = ending::failed;
    return make(op::done, now);
  }
  // The same request again, later: the system may be back by then. Whether the lost
  // one took effect is unknown; a payment's key makes its retry safe, and the
  // invariants allow a lost charge to have happened (recorder: uncertain charges).
  ++failures_;
  action a = sent;
  a.at = now + rules_->retry_backoff * failures_;
  a.twice = false;
  return a;
}

action fan_journey::on_charge(const action& sent, outcome& o, time_us now) {
  if (sent.resv == 0) return make(op::issue, now);  // the pre-charge, whatever its result
  if (!succeeded(o.c)) return finish(now, ending::gave_up);
  // Topped up after a refusal: pay the same reservation again, with a new key (the
  // old key would replay the refusal).
  auto a = make(op::pay, now);
  a.resv = sent.resv;
  a.key = "u" + std::to_string(plan_.user) + "-r" + std::to_string(sent.resv) + "-" +
          std::to_string(++pay_attempt_);
  return a;
}

action fan_journey::on_token(const action& sent, outcome& o, time_us now) {
  if (!succeeded(o.c)) {
    token_live_ = false;
    if (sent.kind == op::issue) return finish(now, ending::failed);
    return rejoin_or_finish(now, ending::gave_up);  // dropped from the line
  }
  if (sent.kind == op::issue && (o.token.token != token_ || !token_live_)) {
    token_ = o.token.token;
    token_live_ = true;
    wait_start_ = now;
    ++visits_;
  }
  return o.token.active ? admitted(now) : waiting(o.token, now);
}

action fan_journey::waiting(const token_view& v, time_us now) {
  time_us delay = seconds_us(std::max<int64_t>(1, v.next_poll_seconds));
  if (rules_->poll_cap > 0)
    delay = std::min(delay, rules_->poll_cap);
  else
    delay += static_cast<time_us>(rng_.below(250'000));  // real clients are not in step
  const time_us next = now + delay;
  if (plan_.patience > 0 && next - wait_start_ > plan_.patience) {
    const time_us at = std::max(now, wait_start_ + plan_.patience);
    if (plan_.leaves_explicitly) {
      pending_end_ = ending::abandoned;
      return make(op::leave, at);
    }
    end_ = ending::abandoned;  // goes silent; the gate drops the token when idle
    return make(op::done, at);
  }
  return make(op::poll, next);
}

action fan_journey::admitted(time_us now) {
  browses_ = conflicts_ = refreshes_ = 0;
  concert_ = 0;
  schedule_ = 0;
  concerts_left_.clear();
  schedules_tried_.clear();
  candidates_.clear();
  if (!holds_.empty()) return proceed(now);  // back for seats held on an earlier visit
  return make(op::concerts, think(now));
}

action fan_journey::on_concerts(outcome& o, time_us now) {
  for (const auto& c : o.concerts) concerts_left_.push_back(c.id);
  return browse_next(now);
}

action fan_journey::browse_next(time_us now) {
  if (concerts_left_.empty() || browses_ >= rules_->browse_limit)
    return proceed_or_finish_sold_out(now);
  concert_ = concerts_left_[rng_.below(concerts_left_.size())];
  ++browses_;
  auto a = make(op::schedules, think(now));
  a.concert = concert_;
  return a;
}

action fan_journey::proceed_or_finish_sold_out(time_us now) {
  if (!holds_.empty()) return proceed(now);
  return finish(now, bought_ > 0 ? ending::partly_bought : ending::sold_out);
}

action fan_journey::on_schedules(outcome& o, time_us now) {
  std::vector<schedule_id> open;
  if (succeeded(o.c))
    for (const auto& s : o.schedules)
      if (s.available_seats > 0 && std::find(schedules_tried_.begin(), schedules_tried_.end(),
                                             s.id) == schedules_tried_.end())
        open.push_back(s.id);
  if (open.empty() || browses_ >= rules_->browse_limit) {
    concerts_left_.erase(std::remove(concerts_left_.begin(), concerts_left_.end(), concert_),
                         concerts_left_.end());
    return browse_next(now);
  }
  schedule_ = open[rng_.below(open.size())];
  ++browses_;
  auto a = make(op::seats, think(now));
  a.schedule = schedule_;
  return a;
}

action fan_journey::on_seats(outcome& o, time_us now) {
  candidates_.clear();
  if (succeeded(o.c))
    for (const auto& s : o.seats)
      if (s.status == seat_status::available) candidates_.push_back(s.seat);
  conflicts_ = 0;
  if (!candidates_.empty()) return proceed(now);
  schedules_tried_.push_back(schedule_);  // sold out (or gone): look at another show
  schedule_ = 0;
  if (!holds_.empty()) return proceed(now);
  if (browses_ >= rules_->browse_limit) return proceed_or_finish_sold_out(now);
  ++browses_;
  auto a = make(op::schedules, think(now));
  a.concert = concert_;
  return a;
}

action fan_journey::pick_and_hold(time_us now) {
  size_t range = candidates_.size();
  if (rules_->preference == seat_preference::best)
    range = std::min<size_t>(range, rules_->best_window);
  const size_t i = rng_.below(range);
  auto a = make(op::hold, think(now));
  a.schedule = schedule_;
  a.seat = candidates_[i];
  candidates_.erase(candidates_.begin() + static_cast<std::ptrdiff_t>(i));
  return a;
}

action fan_journey::on_hold(outcome& o, time_us now) {
  if (o.c == code::created) {
    holds_.push_back({o.resv.id, o.resv.price, o.resv.expires_at - rules_->epoch_at_start});
  } else if (o.c == code::seat_unavailable) {
    ++conflicts_;
  } else if (o.c == code::hold_limit_reached) {
    candidates_.clear();
    refreshes_ = rules_->refresh_limit;
  } else {
    candidates_.clear();
    schedule_ = 0;
  }
  return proceed(now);
}

action fan_journey::proceed(time_us now) {
  holds_.erase(std::remove_if(holds_.begin(), holds_.end(),
                              [&](const held& h) { return h.expires_at <= now; }),
               holds_.end());
  const uint32_t need = plan_.seats_wanted - bought_;
  if (need == 0) return finish(now, ending::bought);
  const bool can_hold = !candidates_.empty() && conflicts_ < rules_->conflict_limit;
  const bool can_refresh =
      schedule_ != 0 && refreshes_ < rules_->refresh_limit && browses_ < rules_->browse_limit;
  if (holds_.size() >= need || (!holds_.empty() && !can_hold && !can_refresh)) {
    if (plan_.never_pays) {
      end_ = ending::never_paid;  // walks away; the holds lapse, the token times out
      return make(op::done, now);
    }
    return pay_first_live(now);
  }
  if (can_hold) return pick_and_hold(now);
  if (can_refresh) {
    ++refreshes_;
    ++browses_;
    auto a = make(op::seats, think(now));
    a.schedule = schedule_;
    return a;
  }
  if (schedule_ == 0 && browses_ < rules_->browse_limit && concert_ != 0) {
    auto a = make(op::schedules, think(now));  // the show went away: look at the others
    ++browses_;
    a.concert = concert_;
    return a;
  }
  if (concert_ == 0 && browses_ < rules_->browse_limit) {
    ++browses_;  // back on a later visit and its holds lapsed: start browsing
    return make(op::concerts, think(now));
  }
  return finish(now, bought_ > 0 ? ending::partly_bought : ending::sold_out);
}

action fan_journey::pay_first_live(time_us now) {
  const held& h = holds_.front();  // proceed() dropped the lapsed ones
  auto a = make(op::pay, think(now));
  a.resv = h.id;
  a.key = "u" + std::to_string(plan_.user) + "-r" + std::to_string(h.id) + "-" +
          std::to_string(++pay_attempt_);
  if (plan_.duplicate_pay && !duplicate_sent_) {
    duplicate_sent_ = true;  // a double click: the same payment twice, same key
    a.twice = true;
  }
  return a;
}

action fan_journey::on_pay(const action& sent, outcome& o, time_us now) {
  auto it =
      std::find_if(holds_.begin(), holds_.end(), [&](const held& h) { return h.id == sent.resv; });
  if (o.c == code::created) {
    if (it != holds_.end()) {
      holds_.erase(it);
      ++bought_;
      token_live_ = false;  // a completed payment ends the token
    }
    if (bought_ >= plan_.seats_wanted) return finish(now, ending::bought);
    return rejoin_or_finish(now, ending::partly_bought);
  }
  if (it == holds_.end()) return proceed(now);
  if (o.c == code::insufficient_points && topups_ < 2) {
    ++topups_;
    auto a = make(op::charge, think(now));
    a.amount = it->price;
    a.resv = it->id;
    return a;
  }
  holds_.erase(it);
  return proceed(now);
}

action fan_journey::rejoin_or_finish(time_us now, ending why) {
  candidates_.clear();
  if (!plan_.never_pays && bought_ < plan_.seats_wanted && visits_ < rules_->max_visits)
    return make(op::issue, think(now));
  return finish(now, why);
}

action fan_journey::finish(time_us now, ending why) {
  candidates_ = {};
  concerts_left_ = {};
  schedules_tried_ = {};
  if (token_live_) {  // free the slot for the next fan
    pending_end_ = why;
    return make(op::leave, now);
  }
  end_ = why;
  return make(op::done, now);
}

}  // namespace concert::sim
