// The bridge actors. The io thread gathers the requests of one io round and hands the
// round to one of a few long-lived runner actors (in turn), which runs each request as a
// `job` (its command and responder; every `then` captures the job by shared_ptr) and asks
// the gate about all polls in one message. One wake-up of CAF per round instead of per
// request, and no spawn: an actor's end costs CAF's clock thread a wake-up too. Requests
// carry no CAF timeout (each would wake the clock thread twice); a deadline per round,
// kept on the io side, answers what is still open with 503.
#include "http/dispatch.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/all.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "http/openapi.hpp"
#include "http/render.hpp"

namespace concert::http {
namespace {

using deadline_atom = caf::atom_constant<caf::atom("deadline")>;
using round_atom = caf::atom_constant<caf::atom("round")>;
using self_ptr = caf::event_based_actor*;
using steady = std::chrono::steady_clock;

struct round;

struct job {
  const dispatch_context* ctx;
  command cmd;
  responder done;
  round* owner = nullptr;  ///< set once its bridge actor runs; outlives every use
  bool answered = false;
};
using job_ptr = std::shared_ptr<job>;

/// The rounds a runner has open, by id: each stays until all of it is answered.
using open_rounds = std::unordered_map<uint64_t, std::shared_ptr<round>>;

/// What one runner serves of one io round; touched only by that runner.
struct round {
  std::shared_ptr<bridge> keep;  ///< the context the jobs point into
  uint64_t id = 0;
  self_ptr self = nullptr;
  open_rounds* live = nullptr;  ///< the runner's, where this round is kept
  /// The runner, for the deadline message: set by the io side, read only there.
  caf::actor handle;
  std::vector<job_ptr> jobs;
  std::vector<std::string> poll_tokens;
  std::vector<responder> poll_dones;
  bool polls_answered = false;
  size_t open = 0;  ///< jobs not yet answered, plus one while the polls are open
};

/// One thing of the round answered: the runner forgets it with the last (which may
/// destroy `r`; callers touch it no more).
void settle(round& r) {
  if (--r.open == 0) r.live->erase(r.id);
}

/// Answers a job once; a late reply after its deadline is dropped.
void reply(const job_ptr& j, response_out r) {
  if (j->answered) return;
  j->answered = true;
  j->done(std::move(r));
  settle(*j->owner);
}

/// request(...).then(on_ok) with the shared error branch: a dead actor becomes 503.
/// No timeout per request: the round's deadline bounds the whole job (see bridge).
template <class Handle, class OnOk, class... Ts>
void ask(self_ptr self, const job_ptr& j, const Handle& dest, OnOk on_ok, Ts&&... xs) {
  // Answered already (its deadline passed while an earlier step ran): no next step, so a
  // client told 503 has no hold or payment made behind its back afterwards.
  if (j->answered) return;
  auto on_error = [j](caf::error&) { reply(j, render_unavailable("the system could not answer")); };
  self->request(dest, caf::infinite, std::forward<Ts>(xs)...)
      .then(std::move(on_ok), std::move(on_error));
}

// One `run` per action: each asks exactly one actor and renders its reply. Guarded
// actions act for the user the gate vouched for; the others get user 0 and ignore it.

void run(self_ptr self, const job_ptr& j, user_id, const list_concerts&) {
  auto on_ok = [j](std::vector<concert_info>& v) { reply(j, render(code::ok, v)); };
  ask(self, j, j->ctx->actors.catalog, on_ok, concerts_atom::value);
}

void run(self_ptr self, const job_ptr& j, user_id, const list_schedules& a) {
  auto on_ok = [j](code c, std::vector<schedule_info>& v) { reply(j, render(c, v)); };
  ask(self, j, j->ctx->actors.catalog, on_ok, schedules_atom::value, a.concert);
}

void run(self_ptr self, const job_ptr& j, user_id, const list_seats& a) {
  auto on_ok = [j](code c, std::vector<seat_info>& v) { reply(j, render(c, v)); };
  ask(self, j, j->ctx->actors.catalog, on_ok, seats_atom::value, a.schedule, a.all);
}

void run(self_ptr self, const job_ptr& j, user_id user, const hold_seat& a) {
  auto on_ok = [j](code c, reservation& r) { reply(j, render(c, r)); };
  ask(self, j, j->ctx->actors.wallets, on_ok, hold_atom::value, user, a.schedule, a.seat);
}

void run(self_ptr self, const job_ptr& j, user_id user, const get_reservation& a) {
  auto on_ok = [j](code c, reservation& r) { reply(j, render(c, r)); };
  ask(self, j, j->ctx->actors.wallets, on_ok, resv_atom::value, user, a.id);
}

void run(self_ptr self, const job_ptr& j, user_id user, const pay_reservation& a) {
  auto on_ok = [j](code c, payment& p) { reply(j, render(c, p)); };
  ask(self, j, j->ctx->actors.wallets, on_ok, pay_atom::value, user, a.id, a.idempotency_key);
}

void run(self_ptr self, const job_ptr& j, user_id, const issue_token& a) {
  auto on_ok = [j](code c, token_view& v) { reply(j, render(c, v)); };
  ask(self, j, j->ctx->actors.gate, on_ok, issue_atom::value, a.user);
}

void run(self_ptr self, const job_ptr& j, user_id, const leave_queue&) {
  auto on_ok = [j](code c) { reply(j, render_no_content(c)); };
  ask(self, j, j->ctx->actors.gate, on_ok, leave_atom::value, j->cmd.token);
}

void run(self_ptr self, const job_ptr& j, user_id, const get_points& a) {
  auto on_ok = [j, u = a.user](points b) { reply(j, render_balance(code::ok, u, b)); };
  ask(self, j, j->ctx->actors.wallets, on_ok, balance_atom::value, a.user);
}

void run(self_ptr self, const job_ptr& j, user_id, const charge_points& a) {
  auto on_ok = [j, u = a.user](code c, points b) { reply(j, render_balance(c, u, b)); };
  ask(self, j, j->ctx->actors.wallets, on_ok, charge_atom::value, a.user, a.amount);
}

void run(self_ptr self, const job_ptr& j, user_id, const get_history& a) {
  auto on_ok = [j](std::vector<history_entry>& v) { reply(j, render(code::ok, v)); };
  ask(self, j, j->ctx->actors.wallets, on_ok, history_atom::value, a.user);
}

/// Gate figures, then seat figures, then the text with the edge's own counters.
void run(self_ptr self, const job_ptr& j, user_id, const get_metrics&) {
  auto on_gate = [self, j](gate_stats& g) {
    auto on_seats = [j, g](seat_stats& s) {
      response_out r;
      r.content_type = std::string(metrics_content_type);
      r.body = j->ctx->stats.render(g, s);
      reply(j, std::move(r));
    };
    ask(self, j, j->ctx->actors.catalog, on_seats, stats_atom::value);
  };
  ask(self, j, j->ctx->actors.gate, on_gate, stats_atom::value);
}

/// Never reached: health and OpenAPI are answered before any actor is asked (see
/// dispatch), and polls go to the gate together, per round (run_round).
template <class Local>
void run(self_ptr, const job_ptr& j, user_id, const Local&) {
  reply(j, render_unavailable("no actor serves this route"));
}

void run_action(self_ptr self, const job_ptr& j, user_id user) {
  std::visit([&](const auto& act) { run(self, j, user, act); }, j->cmd.what);
}

/// A payment retried with its Idempotency-Key after the first one succeeded: the
/// first success ended the token, so the check says token_expired. The retry still
/// deserves the first result, and asking the wallet is safe exactly when the
/// reservation is already CONFIRMED (nothing can be charged twice then): the wallet
/// replays the first payment for the same key, or refuses another key with 409.
void replay_payment(self_ptr self, const job_ptr& j, user_id user) {
  const auto& pay = std::get<pay_reservation>(j->cmd.what);
  auto on_ok = [self, j, user](code c, reservation& r) {
    if (c != code::ok || r.status != reservation_status::confirmed)
      return reply(j, outcome_problem(code::token_expired));
    run_action(self, j, user);
  };
  ask(self, j, j->ctx->actors.wallets, on_ok, resv_atom::value, user, pay.id);
}

bool is_keyed_payment(const command& cmd) {
  auto* pay = std::get_if<pay_reservation>(&cmd.what);
  return pay && !pay->idempotency_key.empty();
}

/// The one token check in front of every guard::active route.
void run_guarded(self_ptr self, const job_ptr& j) {
  auto on_check = [self, j](code c, user_id user) {
    if (c == code::ok) return run_action(self, j, user);
    // The gate names the user of every genuine token, expired ones included.
    if (c == code::token_expired && user != 0 && is_keyed_payment(j->cmd))
      return replay_payment(self, j, user);
    reply(j, outcome_problem(c));
  };
  ask(self, j, j->ctx->actors.gate, on_check, check_atom::value, j->cmd.token);
}

/// A command's whole course on bridge actor `self`: the token check first when guarded.
void start(self_ptr self, const job_ptr& j) {
  if (route_of(j->cmd.route).auth == guard::active)
    run_guarded(self, j);
  else
    run_action(self, j, 0);
}

response_out openapi_response() {
  response_out r;
  r.content_type = "application/json; charset=utf-8";
  r.body = std::string(openapi_json());
  return r;
}

/// A round handed to a runner (a pointer only: CAF never copies it across processes).
struct round_ref {
  std::shared_ptr<round> r;
};

}  // namespace
}  // namespace concert::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(concert::http::round_ref)

namespace concert::http {
namespace {

struct runner_state {
  open_rounds live;
};
using runner_ptr = caf::stateful_actor<runner_state>*;

caf::behavior runner(runner_ptr self);

}  // namespace

class bridge : public std::enable_shared_from_this<bridge> {
 public:
  bridge(boost::asio::io_context& ioc, dispatch_context ctx)
      : ioc_(ioc), ctx_(std::move(ctx)), timer_(ioc) {
    // A few, so that no runner's list of pending replies (CAF searches it) grows long.
    const size_t n = std::max<size_t>(4, ctx_.sys.scheduler().num_workers());
    for (size_t i = 0; i < n; ++i) runners_.push_back(ctx_.sys.spawn(runner));
  }

  boost::asio::io_context& ioc() { return ioc_; }
  const dispatch_context& context() const { return ctx_; }

  /// Adds one request; the first of a round posts the flush behind what the round read.
  void add(command cmd, responder done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closed_) {
        // Not make_shared: the deadline queue's weak_ptr must not keep the memory.
        if (!next_) next_ = std::shared_ptr<round>(new round);
        if (std::holds_alternative<poll_token>(cmd.what)) {
          next_->poll_tokens.push_back(std::move(cmd.token));
          next_->poll_dones.push_back(std::move(done));
        } else {
          next_->jobs.push_back(std::make_shared<job>(job{&ctx_, std::move(cmd), std::move(done)}));
        }
        if (next_->jobs.size() + next_->poll_dones.size() == 1)
          boost::asio::post(ioc_, [self = shared_from_this()] { self->flush(); });
        return;
      }
    }
    done(render_unavailable("the server is stopping"));
  }

  /// Refuses what is gathered, and ends every open round now (as if its deadline had
  /// passed) and then the runners: at shutdown no io thread may be left to run the
  /// deadline timer.
  void close() {
    std::shared_ptr<round> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      closed_ = true;
      left.swap(next_);
      deadlines_.clear();
      timer_.cancel();
      // Under the lock: no round can be handed to a runner after its stop.
      for (auto& h : runners_) caf::anon_send(h, stop_atom::value);
      runners_.clear();
    }
    if (!left) return;
    for (auto& done : left->poll_dones) done(render_unavailable("the server is stopping"));
    for (auto& j : left->jobs) j->done(render_unavailable("the server is stopping"));
  }

 private:
  void flush() {
    std::shared_ptr<round> r;
    {
      std::lock_guard<std::mutex> lock(mu_);
      r.swap(next_);
      if (!r || closed_) return;  // close() answered what was gathered
      r->keep = shared_from_this();
      r->id = ++rounds_;
      r->handle = runners_[rounds_ % runners_.size()];
      caf::anon_send(r->handle, round_atom::value, round_ref{r});
      deadlines_.emplace_back(steady::now() + ctx_.timeout, r);
      if (deadlines_.size() == 1) arm();
    }
  }

  /// Deadlines are kept here, in round order (the timeout is the same for all), with
  /// one timer for the earliest; a round that already ended is gone and skipped.
  void arm() {  // with mu_ held
    timer_.expires_at(deadlines_.front().first);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) self->on_timer();
    });
  }

  void on_timer() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = steady::now();
    while (!deadlines_.empty() && deadlines_.front().first <= now) {
      if (auto r = deadlines_.front().second.lock())
        caf::anon_send(r->handle, deadline_atom::value, r->id);
      deadlines_.pop_front();
    }
    if (!deadlines_.empty()) arm();
  }

  boost::asio::io_context& ioc_;
  const dispatch_context ctx_;
  std::mutex mu_;
  std::vector<caf::actor> runners_;
  uint64_t rounds_ = 0;
  std::shared_ptr<round> next_;  ///< the round being gathered
  std::deque<std::pair<steady::time_point, std::weak_ptr<round>>> deadlines_;
  boost::asio::steady_timer timer_;
  bool closed_ = false;
};

namespace {

void run_round(runner_ptr self, const std::shared_ptr<round>& r);
void expire(round& r);

/// A long-lived bridge actor: runs the rounds it is handed; a deadline ends what is
/// still open of one, `stop` of all of them, and then the runner itself.
caf::behavior runner(runner_ptr self) {
  return {
      [self](round_atom, round_ref& ref) { run_round(self, ref.r); },
      [self](deadline_atom, uint64_t id) {
        auto it = self->state.live.find(id);
        if (it == self->state.live.end()) return;
        auto keep = it->second;  // expire() may make the round forget itself
        expire(*keep);
      },
      [self](stop_atom) {
        auto left = self->state.live;
        for (auto& [id, r] : left) expire(*r);
        self->quit();
      },
  };
}

/// The polls' answers go back in one post; the io thread hands them out.
void answer_polls(round& r, std::vector<response_out> out) {
  if (r.polls_answered) return;
  r.polls_answered = true;
  auto dones = std::move(r.poll_dones);
  boost::asio::post(r.keep->ioc(), [dones = std::move(dones), out = std::move(out)]() mutable {
    for (size_t i = 0; i < dones.size(); ++i) dones[i](std::move(out[i]));
  });
  settle(r);
}

/// The round's deadline passed: whatever is still open gets 503.
void expire(round& r) {
  auto late = render_unavailable("the system did not answer in time");
  if (!r.poll_dones.empty() && !r.polls_answered)
    answer_polls(r, std::vector<response_out>(r.poll_dones.size(), late));
  auto jobs = r.jobs;  // reply() may make the round forget itself
  for (auto& j : jobs) reply(j, late);
}

void run_round(runner_ptr self, const std::shared_ptr<round>& r) {
  r->self = self;
  r->live = &self->state.live;
  r->open = r->jobs.size() + (r->poll_dones.empty() ? 0 : 1);
  if (r->open == 0) return;
  self->state.live.emplace(r->id, r);
  for (auto& j : r->jobs) {
    j->owner = r.get();
    start(self, j);
  }
  if (r->poll_dones.empty()) return;
  // Late answers (after the deadline) still find the round: the handlers keep it.
  auto on_ok = [r](std::vector<poll_answer>& answers) {
    std::vector<response_out> out;
    out.reserve(r->poll_dones.size());
    for (size_t i = 0; i < r->poll_dones.size(); ++i)
      out.push_back(i < answers.size() ? render(answers[i].status, answers[i].view)
                                       : render_unavailable("the gate lost a poll"));
    answer_polls(*r, std::move(out));
  };
  auto on_error = [r](caf::error&) {
    answer_polls(*r, std::vector<response_out>(r->poll_dones.size(),
                                               render_unavailable("the system could not answer")));
  };
  self->request(r->keep->context().actors.gate, caf::infinite, poll_atom::value,
                std::move(r->poll_tokens))
      .then(std::move(on_ok), std::move(on_error));
}

}  // namespace

std::shared_ptr<bridge> make_bridge(boost::asio::io_context& ioc, dispatch_context ctx) {
  return std::make_shared<bridge>(ioc, std::move(ctx));
}

void close(bridge& b) { b.close(); }

void dispatch(bridge& b, command cmd, responder done) {
  if (std::holds_alternative<get_health>(cmd.what)) return done(render_health());
  if (std::holds_alternative<get_openapi>(cmd.what)) return done(openapi_response());
  b.add(std::move(cmd), std::move(done));
}

}  // namespace concert::http
