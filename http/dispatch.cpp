// One-shot bridge actors. A `job` holds the command and the responder; every `then`
// captures the job by shared_ptr, because the spawn lambda itself does not outlive the
// actor's start. The actor ends by itself once its last reply (or timeout) arrived.
#include "http/dispatch.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <caf/all.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "http/openapi.hpp"
#include "http/render.hpp"

namespace concert::http {
namespace {

struct job {
  dispatch_context ctx;
  command cmd;
  responder done;
};
using job_ptr = std::shared_ptr<job>;
using self_ptr = caf::event_based_actor*;

/// request(...).then(on_ok) with the shared error branch: timeouts and dead actors
/// become 503.
template <class Handle, class OnOk, class... Ts>
void ask(self_ptr self, const job_ptr& j, const Handle& dest, OnOk on_ok, Ts&&... xs) {
  auto on_error = [j](caf::error& err) {
    j->done(render_unavailable(err == caf::sec::request_timeout
                                   ? "the system did not answer in time"
                                   : "the system could not answer"));
  };
  self->request(dest, j->ctx.timeout, std::forward<Ts>(xs)...)
      .then(std::move(on_ok), std::move(on_error));
}

// One `run` per action: each asks exactly one actor and renders its reply. Guarded
// actions act for the user the gate vouched for; the others get user 0 and ignore it.

void run(self_ptr self, const job_ptr& j, user_id, const list_concerts&) {
  auto on_ok = [j](std::vector<concert_info>& v) { j->done(render(code::ok, v)); };
  ask(self, j, j->ctx.actors.catalog, on_ok, concerts_atom::value);
}

void run(self_ptr self, const job_ptr& j, user_id, const list_schedules& a) {
  auto on_ok = [j](code c, std::vector<schedule_info>& v) { j->done(render(c, v)); };
  ask(self, j, j->ctx.actors.catalog, on_ok, schedules_atom::value, a.concert);
}

void run(self_ptr self, const job_ptr& j, user_id, const list_seats& a) {
  auto on_ok = [j](code c, std::vector<seat_info>& v) { j->done(render(c, v)); };
  ask(self, j, j->ctx.actors.catalog, on_ok, seats_atom::value, a.schedule, a.all);
}

void run(self_ptr self, const job_ptr& j, user_id user, const hold_seat& a) {
  auto on_ok = [j](code c, reservation& r) { j->done(render(c, r)); };
  ask(self, j, j->ctx.actors.wallets, on_ok, hold_atom::value, user, a.schedule, a.seat);
}

void run(self_ptr self, const job_ptr& j, user_id user, const get_reservation& a) {
  auto on_ok = [j](code c, reservation& r) { j->done(render(c, r)); };
  ask(self, j, j->ctx.actors.wallets, on_ok, resv_atom::value, user, a.id);
}

void run(self_ptr self, const job_ptr& j, user_id user, const pay_reservation& a) {
  auto on_ok = [j](code c, payment& p) { j->done(render(c, p)); };
  ask(self, j, j->ctx.actors.wallets, on_ok, pay_atom::value, user, a.id, a.idempotency_key);
}

void run(self_ptr self, const job_ptr& j, user_id, const issue_token& a) {
  auto on_ok = [j](code c, token_view& v) { j->done(render(c, v)); };
  ask(self, j, j->ctx.actors.gate, on_ok, issue_atom::value, a.user);
}

void run(self_ptr self, const job_ptr& j, user_id, const poll_token&) {
  auto on_ok = [j](code c, token_view& v) { j->done(render(c, v)); };
  ask(self, j, j->ctx.actors.gate, on_ok, poll_atom::value, j->cmd.token);
}

void run(self_ptr self, const job_ptr& j, user_id, const leave_queue&) {
  auto on_ok = [j](code c) { j->done(render_no_content(c)); };
  ask(self, j, j->ctx.actors.gate, on_ok, leave_atom::value, j->cmd.token);
}

void run(self_ptr self, const job_ptr& j, user_id, const get_points& a) {
  auto on_ok = [j, u = a.user](points b) { j->done(render_balance(code::ok, u, b)); };
  ask(self, j, j->ctx.actors.wallets, on_ok, balance_atom::value, a.user);
}

void run(self_ptr self, const job_ptr& j, user_id, const charge_points& a) {
  auto on_ok = [j, u = a.user](code c, points b) { j->done(render_balance(c, u, b)); };
  ask(self, j, j->ctx.actors.wallets, on_ok, charge_atom::value, a.user, a.amount);
}

void run(self_ptr self, const job_ptr& j, user_id, const get_history& a) {
  auto on_ok = [j](std::vector<history_entry>& v) { j->done(render(code::ok, v)); };
  ask(self, j, j->ctx.actors.wallets, on_ok, history_atom::value, a.user);
}

/// Gate figures, then seat figures, then the text with the edge's own counters.
void run(self_ptr self, const job_ptr& j, user_id, const get_metrics&) {
  auto on_gate = [self, j](gate_stats& g) {
    auto on_seats = [j, g](seat_stats& s) {
      response_out r;
      r.content_type = std::string(metrics_content_type);
      r.body = j->ctx.stats.render(g, s);
      j->done(std::move(r));
    };
    ask(self, j, j->ctx.actors.catalog, on_seats, stats_atom::value);
  };
  ask(self, j, j->ctx.actors.gate, on_gate, stats_atom::value);
}

/// Health and OpenAPI are answered before any actor is spawned (see dispatch).
template <class Local>
void run(self_ptr, const job_ptr& j, user_id, const Local&) {
  j->done(render_unavailable("no actor serves this route"));
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
      return j->done(outcome_problem(code::token_expired));
    run_action(self, j, user);
  };
  ask(self, j, j->ctx.actors.wallets, on_ok, resv_atom::value, user, pay.id);
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
    j->done(outcome_problem(c));
  };
  ask(self, j, j->ctx.actors.gate, on_check, check_atom::value, j->cmd.token);
}

response_out openapi_response() {
  response_out r;
  r.content_type = "application/json; charset=utf-8";
  r.body = std::string(openapi_json());
  return r;
}

}  // namespace

class poll_batcher {
 public:
  explicit poll_batcher(boost::asio::io_context& ioc) : ioc_(ioc) {}

  /// Adds one poll; the first of a round posts the flush behind what the round read.
  void add(const dispatch_context& ctx, std::string token, responder done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closed_) {
        tokens_.push_back(std::move(token));
        dones_.push_back(std::move(done));
        if (flush_posted_) return;
        flush_posted_ = true;
        boost::asio::post(ioc_, [this, ctx] { flush(ctx); });  // ctx.polls keeps this alive
        return;
      }
    }
    done(render_unavailable("the server is stopping"));
  }

  void close() {
    std::vector<responder> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      tokens_.clear();
      left.swap(dones_);
    }
    for (auto& done : left) done(render_unavailable("the server is stopping"));
  }

 private:
  /// One bridge actor, one gate message and one post back for the whole round; the
  /// responses are rendered on the CAF side, off the io thread.
  void flush(const dispatch_context& ctx) {
    std::vector<std::string> tokens;
    std::vector<responder> dones;
    {
      std::lock_guard<std::mutex> lock(mu_);
      flush_posted_ = false;
      if (closed_ || dones_.empty()) return;
      tokens.swap(tokens_);
      dones.swap(dones_);
    }
    auto batch = std::make_shared<std::vector<responder>>(std::move(dones));
    auto& ioc = ioc_;
    auto answer = [batch, &ioc](std::vector<response_out> out) {
      boost::asio::post(ioc, [batch, out = std::move(out)]() mutable {
        for (size_t i = 0; i < batch->size(); ++i) (*batch)[i](std::move(out[i]));
      });
    };
    ctx.sys.spawn([ctx, batch, answer, tokens = std::move(tokens)](self_ptr self) mutable {
      auto on_ok = [batch, answer](std::vector<poll_answer>& answers) {
        std::vector<response_out> out;
        out.reserve(batch->size());
        for (size_t i = 0; i < batch->size(); ++i)
          out.push_back(i < answers.size() ? render(answers[i].status, answers[i].view)
                                           : render_unavailable("the gate lost a poll"));
        answer(std::move(out));
      };
      auto on_error = [batch, answer](caf::error& err) {
        auto r = render_unavailable(err == caf::sec::request_timeout
                                        ? "the system did not answer in time"
                                        : "the system could not answer");
        answer(std::vector<response_out>(batch->size(), r));
      };
      self->request(ctx.actors.gate, ctx.timeout, poll_atom::value, std::move(tokens))
          .then(std::move(on_ok), std::move(on_error));
    });
  }

  boost::asio::io_context& ioc_;
  std::mutex mu_;
  std::vector<std::string> tokens_;
  std::vector<responder> dones_;
  bool flush_posted_ = false;
  bool closed_ = false;
};

std::shared_ptr<poll_batcher> make_poll_batcher(boost::asio::io_context& ioc) {
  return std::make_shared<poll_batcher>(ioc);
}

void close(poll_batcher& b) { b.close(); }

void dispatch(const dispatch_context& ctx, command cmd, responder done) {
  if (std::holds_alternative<get_health>(cmd.what)) return done(render_health());
  if (std::holds_alternative<get_openapi>(cmd.what)) return done(openapi_response());
  if (ctx.polls && std::holds_alternative<poll_token>(cmd.what))
    return ctx.polls->add(ctx, std::move(cmd.token), std::move(done));
  auto j = std::make_shared<job>(job{ctx, std::move(cmd), std::move(done)});
  ctx.sys.spawn([j](self_ptr self) {
    if (route_of(j->cmd.route).auth == guard::active)
      run_guarded(self, j);
    else
      run_action(self, j, 0);
  });
}

}  // namespace concert::http
