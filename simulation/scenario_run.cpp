// Runs a scenario: one blocking request per step on the deterministic scheduler (the
// scheduler runs until the reply is there), with the HTTP edge's token guard in front
// of guarded steps. Every step is also fed to a recorder, so the scenario ends with the
// invariant checks of a full simulation.

#include <caf/all.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "simulation/invariants.hpp"
#include "simulation/options.hpp"
#include "simulation/recorder.hpp"
#include "simulation/run.hpp"
#include "simulation/scenario.hpp"
#include "simulation/virtual_time.hpp"

namespace concert::sim {

namespace {

using fields = std::vector<std::pair<std::string, std::string>>;

/// What one step got: an outcome name and its fields.
struct observed {
  std::string outcome;
  fields got;
};

std::string duration_text(time_us us) {
  if (us % 1'000'000 == 0) return std::to_string(us / 1'000'000) + "s";
  return std::to_string(us / 1000) + "ms";
}

class runner {
 public:
  runner(const system_settings& settings, const catalog_data& cat)
      : sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())), cat_(cat) {
    h_ = spawn_system(sys_, settings, cat);
    sched_.run();
    t0_ = sched_.clock().current_time;
  }
  ~runner() {
    stop_system(h_);
    sched_.run();
  }

  observed step(const scenario_step& st, std::string& problem);
  std::vector<std::string> check_final();
  /// Runs every timer due by `at` (µs after the start) and moves the clock there.
  void advance_to(time_us at) { run_until(sched_, t0_ + std::chrono::microseconds(at)); }

 private:
  template <class... Rs, class Handle, class... Ts>
  std::optional<std::tuple<Rs...>> ask(const Handle& dest, Ts&&... xs) {
    std::optional<std::tuple<Rs...>> out;
    auto rh = self_->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    sched_.run();
    rh.receive([&](Rs&... rs) { out = std::make_tuple(rs...); }, [&](caf::error&) {});
    return out;
  }
  time_us now_epoch() { return h_.clock.now(sys_.clock()); }
  code guard(user_id u);
  observed token_step(const scenario_step& st, action& a, outcome& o);
  observed seat_step(const scenario_step& st, action& a, outcome& o, std::string& problem);
  observed info_step(const scenario_step& st);
  uint32_t fan_of(user_id u) {
    auto [it, fresh] = fans_.emplace(u, static_cast<uint32_t>(fans_.size()));
    (void)fresh;
    return it->second;
  }

  sim_caf_config cfg_{true};
  caf::actor_system sys_{cfg_};
  caf::scheduler::test_coordinator& sched_;
  caf::scoped_actor self_{sys_};
  system_handles h_;
  const catalog_data& cat_;
  caf::actor_clock::time_point t0_;
  recorder rec_{true};
  uint64_t stamp_ = 0;
  std::map<user_id, std::string> tokens_;
  std::map<std::string, reservation> named_;
  std::map<user_id, uint32_t> fans_;
};

code runner::guard(user_id u) {
  auto it = tokens_.find(u);
  if (it == tokens_.end()) return code::token_invalid;  // no Authorization header
  auto r = ask<code, user_id>(h_.gate, check_atom::value, it->second);
  if (!r) return code::unavailable;
  return std::get<0>(*r) == code::ok && std::get<1>(*r) != u ? code::token_invalid
                                                             : std::get<0>(*r);
}

observed runner::token_step(const scenario_step& st, action& a, outcome& o) {
  const std::string token = tokens_.count(st.user) ? tokens_[st.user] : std::string{};
  std::optional<std::tuple<code, token_view>> r;
  if (st.kind == step_kind::token) {
    a.kind = op::issue;
    r = ask<code, token_view>(h_.gate, issue_atom::value, st.user);
  } else if (st.kind == step_kind::poll) {
    a.kind = op::poll;
    r = ask<code, token_view>(h_.gate, poll_atom::value, token);
  } else {
    a.kind = op::leave;
    auto l = ask<code>(h_.gate, leave_atom::value, token);
    if (l) r = std::make_tuple(std::get<0>(*l), token_view{});
  }
  if (!r) return o.failed = true, observed{"FAILED", {}};
  o.c = std::get<0>(*r);
  o.token = std::get<1>(*r);
  observed ob{std::string(code_name(o.c)), {}};
  if (a.kind == op::leave || !succeeded(o.c)) return ob;
  if (a.kind == op::issue) tokens_[st.user] = o.token.token;
  ob.got.emplace_back(o.token.active ? "active" : "waiting", "");
  ob.got.emplace_back("position", std::to_string(o.token.position));
  ob.got.emplace_back("next-poll", std::to_string(o.token.next_poll_seconds));
  ob.got.emplace_back("eta", std::to_string(o.token.eta_seconds));
  return ob;
}

observed runner::seat_step(const scenario_step& st, action& a, outcome& o, std::string& problem) {
  if (st.kind == step_kind::hold) {
    a.kind = op::hold;
    a.schedule = st.schedule;
    a.seat = st.seat;
    auto r = ask<code, reservation>(h_.wallets, hold_atom::value, st.user, st.schedule, st.seat);
    if (!r) return o.failed = true, observed{"FAILED", {}};
    std::tie(o.c, o.resv) = *r;
    observed ob{std::string(code_name(o.c)), {}};
    if (o.c != code::created) return ob;
    if (!st.name.empty()) named_[st.name] = o.resv;
    ob.got = {{"price", std::to_string(o.resv.price)},
              {"seat", std::to_string(o.resv.seat)},
              {"status", std::string(reservation_status_name(o.resv.status))},
              {"expires-in", duration_text(o.resv.expires_at - now_epoch())}};
    return ob;
  }
  auto named = named_.find(st.name);
  if (named == named_.end()) {
    problem = "no reservation named '" + st.name + "' (bind one with `hold ... as NAME`)";
    return {"FAILED", {}};
  }
  const reservation_id id = named->second.id;
  if (st.kind == step_kind::reservation) {
    auto r = ask<code, reservation>(h_.wallets, resv_atom::value, st.user, id);
    if (!r) return {"FAILED", {}};
    observed ob{std::string(code_name(std::get<0>(*r))), {}};
    if (std::get<0>(*r) == code::ok)
      ob.got = {{"status", std::string(reservation_status_name(std::get<1>(*r).status))},
                {"price", std::to_string(std::get<1>(*r).price)},
                {"seat", std::to_string(std::get<1>(*r).seat)}};
    return ob;
  }
  a.kind = op::pay;
  a.resv = id;
  a.key = st.key;
  auto first = self_->request(h_.wallets, caf::infinite, pay_atom::value, st.user, id, st.key);
  std::optional<decltype(first)> second;
  if (st.twice && guard(st.user) == code::ok)  // the copy passes the edge's guard too
    second = self_->request(h_.wallets, caf::infinite, pay_atom::value, st.user, id, st.key);
  sched_.run();
  bool answered = false;
  first.receive([&](code c, payment p) { o.c = c, o.pay = p, answered = true; },
                [&](caf::error&) {});
  if (!answered) {
    o.failed = true;
    return {"FAILED", {}};
  }
  observed ob{std::string(code_name(o.c)), {}};
  if (succeeded(o.c))
    ob.got = {{"amount", std::to_string(o.pay.amount)},
              {"balance", std::to_string(o.pay.balance)},
              {"id", std::to_string(o.pay.id)}};
  if (second) {
    outcome o2;
    second->receive([&](code c, payment p) { o2.c = c, o2.pay = p; },
                    [&](caf::error&) { o2.failed = true; });
    const uint64_t copy_stamp = ++stamp_;
    rec_.observe(fan_of(st.user), st.user, a, o2, st.at, copy_stamp, copy_stamp);
    ob.got.emplace_back("second", o2.failed ? "FAILED" : std::string(code_name(o2.c)));
    ob.got.emplace_back("same-payment", o2.pay.id == o.pay.id && o2.c == o.c ? "yes" : "no");
  }
  return ob;
}

/// Steps that only read: catalog listings, balances, history, one seat, the gate.
observed runner::info_step(const scenario_step& st) {
  switch (st.kind) {
    case step_kind::concerts: {
      auto r = ask<std::vector<concert_info>>(h_.catalog, concerts_atom::value);
      if (!r) return {"FAILED", {}};
      return {"OK", {{"count", std::to_string(std::get<0>(*r).size())}}};
    }
    case step_kind::schedules: {
      auto r = ask<code, std::vector<schedule_info>>(h_.catalog, schedules_atom::value, st.concert);
      if (!r) return {"FAILED", {}};
      uint64_t avail = 0;
      for (const auto& s : std::get<1>(*r)) avail += s.available_seats;
      return {std::string(code_name(std::get<0>(*r))),
              {{"count", std::to_string(std::get<1>(*r).size())},
               {"available", std::to_string(avail)}}};
    }
    case step_kind::seats: {
      auto r = ask<code, std::vector<seat_info>>(h_.catalog, seats_atom::value, st.schedule, false);
      if (!r) return {"FAILED", {}};
      return {std::string(code_name(std::get<0>(*r))),
              {{"count", std::to_string(std::get<1>(*r).size())}}};
    }
    case step_kind::balance: {
      auto r = ask<points>(h_.wallets, balance_atom::value, st.user);
      if (!r) return {"FAILED", {}};
      return {"OK", {{"balance", std::to_string(std::get<0>(*r))}}};
    }
    case step_kind::history: {
      auto r = ask<std::vector<history_entry>>(h_.wallets, history_atom::value, st.user);
      if (!r) return {"FAILED", {}};
      const auto& v = std::get<0>(*r);
      fields f{{"count", std::to_string(v.size())}};
      if (!v.empty()) f.emplace_back("first", std::string(history_kind_name(v.front().kind)));
      return {"OK", f};
    }
    case step_kind::seat: {
      auto r = ask<code, std::vector<seat_info>>(h_.catalog, seats_atom::value, st.schedule, true);
      if (!r) return {"FAILED", {}};
      if (std::get<0>(*r) != code::ok) return {std::string(code_name(std::get<0>(*r))), {}};
      for (const auto& s : std::get<1>(*r))
        if (s.seat == st.seat)
          return {std::string(seat_status_name(s.status)), {{"price", std::to_string(s.price)}}};
      return {"SEAT_NOT_FOUND", {}};
    }
    case step_kind::gate: {
      auto r = ask<gate_stats>(h_.gate, stats_atom::value);
      if (!r) return {"FAILED", {}};
      const auto& g = std::get<0>(*r);
      return {"OK",
              {{"waiting", std::to_string(g.waiting)},
               {"active", std::to_string(g.active)},
               {"admitted", std::to_string(g.admitted_total)}}};
    }
    default:
      return {"FAILED", {}};
  }
}

bool is_guarded_step(step_kind k) {
  return k == step_kind::concerts || k == step_kind::schedules || k == step_kind::seats ||
         k == step_kind::hold || k == step_kind::pay || k == step_kind::reservation;
}

observed runner::step(const scenario_step& st, std::string& problem) {
  action a;
  a.at = st.at;
  outcome o;
  observed ob;
  const uint64_t stamp = ++stamp_;
  code g = code::ok;
  if (is_guarded_step(st.kind)) g = guard(st.user);
  if (g != code::ok) {
    ob = {std::string(code_name(g)), {}};
    o.c = g;
    if (st.kind == step_kind::pay && named_.count(st.name)) {
      a.kind = op::pay;
      a.resv = named_[st.name].id;
    }
  } else if (st.kind == step_kind::token || st.kind == step_kind::poll ||
             st.kind == step_kind::leave) {
    ob = token_step(st, a, o);
  } else if (st.kind == step_kind::hold || st.kind == step_kind::pay ||
             st.kind == step_kind::reservation) {
    ob = seat_step(st, a, o, problem);
  } else if (st.kind == step_kind::charge) {
    a.kind = op::charge;
    a.amount = st.amount;
    auto r = ask<code, points>(h_.wallets, charge_atom::value, st.user, st.amount);
    if (!r)
      o.failed = true;
    else
      std::tie(o.c, o.balance) = *r;
    ob = {o.failed ? "FAILED" : std::string(code_name(o.c)),
          {{"balance", std::to_string(o.balance)}}};
  } else {
    ob = info_step(st);
  }
  if (a.kind != op::none) rec_.observe(fan_of(st.user), st.user, a, o, st.at, stamp, stamp);
  return ob;
}

std::vector<std::string> runner::check_final() {
  final_state fs;
  for (const auto& s : cat_.schedules) {
    auto r = ask<code, std::vector<seat_info>>(h_.catalog, seats_atom::value, s.id, true);
    if (r && std::get<0>(*r) == code::ok) fs.seats[s.id] = std::get<1>(*r);
  }
  std::set<user_id> users;
  for (const auto& [u, t] : rec_.users()) users.insert(u);
  for (const auto& hr : rec_.holds()) users.insert(hr.user);
  for (auto u : users) {
    if (auto b = ask<points>(h_.wallets, balance_atom::value, u)) fs.balances[u] = std::get<0>(*b);
    if (auto hi = ask<std::vector<history_entry>>(h_.wallets, history_atom::value, u))
      fs.histories[u] = std::get<0>(*hi);
  }
  for (const auto& hr : rec_.holds()) {
    auto r = ask<code, reservation>(h_.wallets, resv_atom::value, hr.user, hr.id);
    if (r && std::get<0>(*r) == code::ok) fs.reservations[hr.id] = std::get<1>(*r);
  }
  fs.now = now_epoch();
  return check_invariants(rec_, fs).violations;
}

/// "" when `ob` meets `e`, else what differs.
std::string compare(const expectation& e, const observed& ob) {
  if (!e.outcome.empty() && e.outcome != ob.outcome)
    return "expected " + e.outcome + ", got " + ob.outcome;
  for (const auto& [name, value] : e.fields) {
    auto it =
        std::find_if(ob.got.begin(), ob.got.end(), [&](const auto& f) { return f.first == name; });
    if (it == ob.got.end())
      return "expected " + name + (value.empty() ? "" : " " + value) +
             ", which the reply does not have";
    if (it->second != value) return "expected " + name + " " + value + ", got " + it->second;
  }
  return {};
}

std::string describe(const scenario_step& st, const observed& ob) {
  std::ostringstream o;
  o << "line " << st.line << " at " << duration_text(st.at) << ": ";
  if (st.user != 0) o << "user " << st.user << " ";
  o << "-> " << ob.outcome;
  for (const auto& [n, v] : ob.got) o << " " << n << (v.empty() ? "" : " " + v);
  return o.str();
}

}  // namespace

scenario_result run_scenario(const scenario& s) {
  scenario_result res;
  sim_options o;
  for (const auto& [knob, value] : s.config) {
    std::string err;
    if (!set_knob(o, knob, value, err)) {
      res.ok = false;
      res.failures.push_back("config: " + err);
      return res;
    }
  }
  const catalog_data cat =
      s.demo_catalog ? demo_catalog()
                     : synthetic_catalog(s.concerts, s.schedules_per_concert, s.seats_per_schedule);
  auto settings = to_settings(o, onsale_epoch_us);
  runner r{settings, cat};
  for (const auto& st : s.steps) {
    r.advance_to(st.at);
    std::string problem;
    observed ob = r.step(st, problem);
    res.transcript += describe(st, ob) + "\n";
    if (problem.empty() && st.has_expectation) problem = compare(st.expect, ob);
    if (!problem.empty())
      res.failures.push_back("line " + std::to_string(st.line) + ": " + problem);
  }
  for (auto& v : r.check_final()) res.failures.push_back("invariant: " + v);
  res.ok = res.failures.empty();
  return res;
}

scenario_result run_scenario_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  scenario s;
  std::string err;
  if (!in || !parse_scenario(text.str(), s, err)) {
    scenario_result r;
    r.ok = false;
    r.failures.push_back(path + ": " + (err.empty() ? "cannot read the file" : err));
    return r;
  }
  return run_scenario(s);
}

}  // namespace concert::sim
