// The HTTP mode. One thread runs a Boost.Asio io_context with a pool of keep-alive
// connections that take requests from one FIFO; fans are woken by the same timing wheel
// as the actor driver. Before the run an auditor (a user of its own) reads the catalog
// with ?all=true (prices, and whether the server starts empty); after it, the auditor
// reads every seat again and every touched user's points and history for the checks.

#include "simulation/http_driver.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <set>

#include "simulation/http_wire.hpp"
#include "simulation/wake_wheel.hpp"

namespace concert::sim {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

/// What a finished request reports: status (0 when failed), body, stamps.
struct reply {
  unsigned status = 0;
  std::string body;
  bool failed = false;
  uint64_t send_stamp = 0;
  steady::time_point queued;
};

using reply_fn = std::function<void(reply&)>;

/// The outcome of `r` as the reply to `a`.
outcome decode(const action& a, const reply& r) {
  if (!r.failed) return from_response(a, r.status, r.body);
  outcome o;
  o.failed = true;
  return o;
}

struct call {
  wire_request req;
  reply_fn done;
  steady::time_point queued;
};

struct connection {
  explicit connection(asio::io_context& ioc) : sock(ioc) {}
  tcp::socket sock;
  beast::flat_buffer buf;
  bhttp::request<bhttp::string_body> req;
  bhttp::response<bhttp::string_body> res;
  std::unique_ptr<call> current;
  uint64_t send_stamp = 0;
  bool connected = false;
  bool reused = false;   ///< the connection carried a request before this one
  bool retried = false;  ///< the current request was already sent again once
};

bool parse_target(const std::string& t, std::string& host, std::string& port) {
  const std::string prefix = "http://";
  if (t.rfind(prefix, 0) != 0) return false;
  std::string rest = t.substr(prefix.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.erase(slash);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return false;
  host = rest.substr(0, colon);
  port = rest.substr(colon + 1);
  return true;
}

time_us wall_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class http_run {
 public:
  http_run(const sim_options& o, const progress_fn& p) : o_(o), progress_(p) {}

  run_report run();

 private:
  // --- transport ---
  void submit(wire_request r, reply_fn done);
  void start(connection* c);
  void send(connection* c);
  void on_read(connection* c, beast::error_code ec);
  void drop(connection* c, bool may_retry);

  // --- fans ---
  time_us now() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t0_).count();
  }
  void start_fans();
  void schedule(uint32_t fan, action a, bool arrival);
  void arm(time_us at);
  void on_timer(beast::error_code ec);
  void execute(uint32_t fan);
  void deliver(uint32_t fan, const action& sent, reply& r);
  void finish_fan(uint32_t fan);
  void on_progress(beast::error_code ec);

  // --- the auditor ---
  void audit(std::function<void(bool)> then);
  void audit_poll(std::shared_ptr<std::string> token, std::function<void(bool)> then);
  void audit_list(std::shared_ptr<std::string> token, std::function<void(bool)> then);
  void collect_users(std::function<void()> then);
  void finish_run();

  const sim_options& o_;
  progress_fn progress_;
  asio::io_context ioc_;
  tcp::resolver::results_type endpoints_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::deque<std::unique_ptr<call>> ready_;
  std::vector<connection*> idle_;
  uint64_t stamp_ = 0;

  steady::time_point t0_;
  journey_rules rules_;
  std::vector<fan_plan> plans_;
  std::vector<fan_journey> fans_;
  std::vector<action> pending_;
  wake_wheel wakes_;
  std::vector<uint32_t> due_;
  asio::steady_timer timer_{ioc_};
  bool armed_ = false;
  time_us armed_for_ = 0;
  asio::steady_timer progress_timer_{ioc_};
  asio::steady_timer audit_timer_{ioc_};
  uint64_t finished_ = 0;
  bool stopping_ = false;
  bool horizon_ = false;
  steady::time_point fans_done_;

  recorder rec_{false};  // many connections: only reply stamps prove an order
  final_state fs_;
  bool audit_ok_ = false;
  bool started_empty_ = false;
  points max_price_ = 0;
  uint64_t collect_failures_ = 0;
  user_id user_base_ = 0;
  run_report report_;
};

// ---------------------------------------------------------------- transport

void http_run::submit(wire_request r, reply_fn done) {
  auto c = std::make_unique<call>();
  c->req = std::move(r);
  c->done = std::move(done);
  c->queued = steady::now();
  ready_.push_back(std::move(c));
  if (!idle_.empty()) {
    connection* conn = idle_.back();
    idle_.pop_back();
    start(conn);
  }
}

void http_run::start(connection* c) {
  if (ready_.empty()) {
    idle_.push_back(c);
    return;
  }
  c->current = std::move(ready_.front());
  ready_.pop_front();
  c->retried = false;
  const wire_request& w = c->current->req;
  c->req = {};
  c->req.method(bhttp::string_to_verb(w.method));
  c->req.target(w.target);
  c->req.version(11);
  c->req.set(bhttp::field::host, "concertd");
  c->req.keep_alive(true);
  if (!w.token.empty()) c->req.set(bhttp::field::authorization, "Bearer " + w.token);
  if (!w.key.empty()) c->req.set("Idempotency-Key", w.key);
  if (!w.body.empty()) {
    c->req.set(bhttp::field::content_type, "application/json");
    c->req.body() = w.body;
  }
  c->req.prepare_payload();
  send(c);
}

void http_run::send(connection* c) {
  c->send_stamp = ++stamp_;
  auto write = [this, c] {
    bhttp::async_write(c->sock, c->req, [this, c](beast::error_code ec, size_t) {
      if (ec) return drop(c, true);
      c->res = {};
      bhttp::async_read(c->sock, c->buf, c->res,
                        [this, c](beast::error_code e, size_t) { on_read(c, e); });
    });
  };
  if (c->connected) return write();
  c->reused = false;
  asio::async_connect(c->sock, endpoints_, [this, c, write](beast::error_code ec, const auto&) {
    if (ec) return drop(c, false);
    c->connected = true;
    beast::error_code ignored;
    c->sock.set_option(tcp::no_delay(true), ignored);
    write();
  });
}

void http_run::on_read(connection* c, beast::error_code ec) {
  // A kept-alive connection the server closed meanwhile fails before any reply: that
  // request never reached the server, so it is sent once more on a new connection.
  if (ec)
    return drop(
        c, c->reused && (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset));
  reply r;
  r.status = c->res.result_int();
  r.body = std::move(c->res.body());
  r.send_stamp = c->send_stamp;
  r.queued = c->current->queued;
  if (!c->res.keep_alive()) {
    beast::error_code ignored;
    c->sock.close(ignored);
    c->connected = false;
  }
  c->reused = true;
  auto done = std::move(c->current->done);
  c->current.reset();
  done(r);
  start(c);
}

void http_run::drop(connection* c, bool may_retry) {
  beast::error_code ignored;
  c->sock.close(ignored);
  c->connected = false;
  c->buf.clear();
  if (may_retry && !c->retried) {
    c->retried = true;
    return send(c);
  }
  reply r;
  r.failed = true;
  r.send_stamp = c->send_stamp;
  r.queued = c->current->queued;
  auto done = std::move(c->current->done);
  c->current.reset();
  done(r);
  start(c);
}

// ---------------------------------------------------------------- fans

void http_run::start_fans() {
  rules_ = rules_from(o_.workload);
  rules_.retries = o_.retries;
  rules_.poll_cap = poll_ms_for(o_) * 1000;
  rules_.epoch_at_start = wall_now_us() - now();
  plans_ = make_plans(o_.workload, o_.seed, max_price_ > 0 ? max_price_ : 1);
  for (auto& p : plans_) p.user += user_base_;
  fans_.reserve(plans_.size());
  for (const auto& p : plans_) fans_.emplace_back(p, rules_);
  pending_.resize(fans_.size());
  for (uint32_t i = 0; i < fans_.size(); ++i) schedule(i, fans_[i].start(), true);
}

void http_run::schedule(uint32_t fan, action a, bool arrival) {
  if (a.kind == op::done) return finish_fan(fan);
  if (stopping_) return;
  const time_us t = now();
  time_us delay = a.at - (arrival ? 0 : t);
  if (!arrival && a.kind != op::poll)
    delay = static_cast<time_us>(static_cast<double>(delay) * o_.time_scale);
  pending_[fan] = std::move(a);
  if (delay <= 0 && !arrival) return execute(fan);
  const time_us due = arrival ? std::max(pending_[fan].at, t) : t + delay;
  wakes_.push(due, fan);
  arm(wakes_.rounded(due));
}

void http_run::arm(time_us at) {
  if (armed_ && armed_for_ <= at) return;
  armed_ = true;
  armed_for_ = at;
  timer_.expires_at(t0_ + std::chrono::microseconds(at));
  timer_.async_wait([this](beast::error_code ec) { on_timer(ec); });
}

void http_run::on_timer(beast::error_code ec) {
  if (ec == asio::error::operation_aborted) return;  // re-armed earlier meanwhile
  armed_ = false;
  due_.clear();
  wakes_.pop_due(now(), due_);
  for (uint32_t fan : due_)
    if (!stopping_) execute(fan);
  if (auto next = wakes_.next(); next && !stopping_) arm(*next);
}

void http_run::execute(uint32_t fan) {
  const action& a = pending_[fan];
  const user_id user = fans_[fan].user();
  submit(to_request(a, user, fans_[fan].token()),
         [this, fan](reply& r) { deliver(fan, pending_[fan], r); });
  if (!a.twice) return;
  submit(to_request(a, user, fans_[fan].token()), [this, fan, copy = a, user](reply& r) {
    const outcome o = decode(copy, r);
    rec_.observe(fan, user, copy, o, now(), r.send_stamp, ++stamp_);
  });
}

void http_run::deliver(uint32_t fan, const action& sent, reply& r) {
  const time_us t = now();
  const uint64_t recv = ++stamp_;
  rec_.latency(static_cast<uint32_t>(std::min<int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - r.queued).count(),
      UINT32_MAX)));
  outcome o = decode(sent, r);
  fan_journey& j = fans_[fan];
  rec_.observe(fan, j.user(), sent, o, t, r.send_stamp, recv);
  action next = j.on_reply(sent, o, t);
  schedule(fan, std::move(next), false);
}

void http_run::finish_fan(uint32_t fan) {
  rec_.finished(fans_[fan].user(), fans_[fan].how(), now());
  if (++finished_ == fans_.size()) {
    fans_done_ = steady::now();
    finish_run();
  }
}

void http_run::on_progress(beast::error_code ec) {
  if (ec || audit_ok_ == false) return;
  const double secs = std::chrono::duration<double>(steady::now() - t0_).count();
  if (progress_) progress_(finished_, fans_.size(), secs);
  if (!stopping_ && secs > static_cast<double>(o_.horizon_seconds)) {
    horizon_ = true;
    fans_done_ = steady::now();
    finish_run();
    return;
  }
  if (stopping_) return;
  progress_timer_.expires_after(std::chrono::milliseconds(250));
  progress_timer_.async_wait([this](beast::error_code e) { on_progress(e); });
}

// ---------------------------------------------------------------- the auditor

void http_run::audit(std::function<void(bool)> then) {
  const user_id auditor = user_base_ + o_.workload.users + 1;
  submit({"POST", "/api/v1/queue/tokens", "{\"userId\":" + std::to_string(auditor) + "}", "", ""},
         [this, then](reply& r) {
           action a;
           a.kind = op::issue;
           outcome o = decode(a, r);
           if (o.failed || !succeeded(o.c)) return then(false);
           auto token = std::make_shared<std::string>(o.token.token);
           if (o.token.active) return audit_list(token, then);
           audit_poll(token, then);
         });
}

void http_run::audit_poll(std::shared_ptr<std::string> token, std::function<void(bool)> then) {
  audit_timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(1, poll_ms_for(o_))));
  audit_timer_.async_wait([this, token, then](beast::error_code ec) {
    if (ec) return then(false);
    submit({"GET", "/api/v1/queue/tokens/me", "", *token, ""}, [this, token, then](reply& r) {
      action a;
      a.kind = op::poll;
      outcome o = decode(a, r);
      if (o.failed || !succeeded(o.c)) return then(false);
      if (o.token.active) return audit_list(token, then);
      audit_poll(token, then);
    });
  });
}

void http_run::audit_list(std::shared_ptr<std::string> token, std::function<void(bool)> then) {
  submit({"GET", "/api/v1/concerts", "", *token, ""}, [this, token, then](reply& r) {
    action a;
    a.kind = op::concerts;
    outcome o = decode(a, r);
    if (o.failed || o.concerts.empty()) return then(false);
    auto left = std::make_shared<size_t>(o.concerts.size());
    auto schedules = std::make_shared<std::vector<schedule_id>>();
    for (const auto& c : o.concerts)
      submit({"GET", "/api/v1/concerts/" + std::to_string(c.id) + "/schedules", "", *token, ""},
             [this, token, then, left, schedules](reply& rs) {
               action s;
               s.kind = op::schedules;
               outcome os = decode(s, rs);
               for (const auto& x : os.schedules) schedules->push_back(x.id);
               if (--*left > 0) return;
               auto seats_left = std::make_shared<size_t>(schedules->size());
               fs_.seats.clear();
               for (auto id : *schedules)
                 submit({"GET", "/api/v1/schedules/" + std::to_string(id) + "/seats?all=true", "",
                         *token, ""},
                        [this, token, then, seats_left, id](reply& rv) {
                          std::vector<seat_info> seats;
                          if (rv.failed || rv.status != 200 || !parse_seats(rv.body, seats))
                            ++collect_failures_;
                          std::sort(seats.begin(), seats.end(),
                                    [](const seat_info& x, const seat_info& y) {
                                      return x.seat < y.seat;
                                    });
                          fs_.seats[id] = std::move(seats);
                          if (--*seats_left > 0) return;
                          submit({"DELETE", "/api/v1/queue/tokens/me", "", *token, ""},
                                 [then](reply&) { then(true); });
                        });
             });
  });
}

void http_run::collect_users(std::function<void()> then) {
  std::set<user_id> users;
  for (const auto& [u, t] : rec_.users()) users.insert(u);
  for (const auto& h : rec_.holds()) users.insert(h.user);
  if (users.empty()) return then();
  auto left = std::make_shared<size_t>(users.size() * 2);
  for (auto u : users) {
    const std::string base = "/api/v1/users/" + std::to_string(u) + "/points";
    submit({"GET", base, "", "", ""}, [this, u, left, then](reply& r) {
      points b = 0;
      if (!r.failed && r.status == 200 && parse_balance(r.body, b))
        fs_.balances[u] = b;
      else
        ++collect_failures_;
      if (--*left == 0) then();
    });
    submit({"GET", base + "/history", "", "", ""}, [this, u, left, then](reply& r) {
      std::vector<history_entry> h;
      if (!r.failed && r.status == 200 && parse_history(r.body, h))
        fs_.histories[u] = std::move(h);
      else
        ++collect_failures_;
      if (--*left == 0) then();
    });
  }
}

void http_run::finish_run() {
  if (stopping_) return;
  stopping_ = true;
  timer_.cancel();
  audit([this](bool ok) {
    if (!ok) ++collect_failures_;
    collect_users([this] {
      fs_.now = wall_now_us();
      ioc_.stop();
    });
  });
}

run_report http_run::run() {
  report_.mode = "http";
  report_.seed = o_.seed;
  report_.users = o_.workload.users;
  std::string host, port;
  auto fail = [&](const std::string& why) {
    report_.invariants.ok = false;
    report_.invariants.total = 1;
    report_.invariants.violations.push_back(why);
    return report_;
  };
  if (!parse_target(o_.target, host, port)) return fail("target is not http://HOST:PORT");
  beast::error_code ec;
  endpoints_ = tcp::resolver{ioc_}.resolve(host, port, ec);
  if (ec) return fail("cannot resolve " + o_.target + ": " + ec.message());
  for (uint32_t i = 0; i < o_.concurrency; ++i) {
    conns_.push_back(std::make_unique<connection>(ioc_));
    idle_.push_back(conns_.back().get());
  }
  // Fresh user ids for every run against a server that may keep earlier runs' users:
  // the second of the day times 1e9, well below 2^53 (JSON-safe).
  user_base_ = o_.user_base != 0
                   ? o_.user_base
                   : static_cast<user_id>(wall_now_us() / 1'000'000 % 86'400 + 1) * 1'000'000'000;
  if (!rec_.open_trace(o_.trace)) report_.notes.push_back("cannot write the trace to " + o_.trace);
  t0_ = steady::now();
  audit([this](bool ok) {
    audit_ok_ = ok;
    if (!ok) return ioc_.stop();
    started_empty_ = true;
    for (const auto& [id, seats] : fs_.seats)
      for (const auto& s : seats) {
        max_price_ = std::max(max_price_, s.price);
        started_empty_ &= s.status == seat_status::available;
      }
    t0_ = steady::now();
    start_fans();
    on_progress({});
  });
  ioc_.run();
  if (!audit_ok_) return fail("cannot read the catalog from " + o_.target);
  rec_.close_trace();
  fs_.exclusive = started_empty_;
  report_.invariants = check_invariants(rec_, fs_);
  if (collect_failures_ > 0) {
    report_.invariants.ok = false;
    ++report_.invariants.total;
    report_.invariants.violations.push_back(std::to_string(collect_failures_) +
                                            " final-state requests failed");
  }
  if (!started_empty_)
    report_.notes.push_back(
        "the server had sold or held seats before the run: seats of "
        "others are not checked");
  if (horizon_)
    report_.notes.push_back("stopped at the horizon with " +
                            std::to_string(fans_.size() - finished_) + " fans on their way");
  report_.notes.push_back("user ids start at " + std::to_string(user_base_ + 1) +
                          "; the system knobs are the server's own in http mode");
  report_.unfinished = fans_.size() - finished_;
  summarize(rec_, report_);
  const double wall = std::chrono::duration<double>(fans_done_ - t0_).count();
  report_.wall_seconds = wall;
  report_.simulated_seconds = static_cast<double>(rec_.last_event()) / 1e6;
  report_.ops_per_second = wall > 0 ? static_cast<double>(rec_.counts().operations) / wall : 0;
  report_.knobs = knobs_to_json(o_);
  return report_;
}

}  // namespace

run_report run_http(const sim_options& o, const progress_fn& progress) {
  http_run r{o, progress};
  return r.run();
}

}  // namespace concert::sim
