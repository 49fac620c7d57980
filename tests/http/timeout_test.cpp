// The per-request deadline of the bridge (dispatch.hpp) over a real socket: an actor
// that never answers, or one that is gone, gives 503 SERVICE_UNAVAILABLE with
// Retry-After instead of a hanging request, and the connection stays usable (the next
// request on it, pipelined or not, is answered in order). Also the methods the
// contract does not serve: 405 with Allow. The gate here is a stand-in that takes
// every request and never replies (0.17.6 has no broken_promise, so only the
// deadline ends the wait); no timing is asserted beyond "answered at all".
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <caf/all.hpp>

#include <atomic>
#include <future>
#include <optional>
#include <thread>

#include "actors/wallet_actor.hpp"
#include "http/client.hpp"
#include "http/dispatch.hpp"
#include "http/server.hpp"

namespace concert::http {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

/// A gate that accepts every request and answers none, except that `tick` answers the
/// token checks it holds, late, with ok for user 7.
struct late_gate_state {
  std::vector<caf::typed_response_promise<code, user_id>> checks;
};

gate_actor::behavior_type silent_gate(gate_actor::stateful_pointer<late_gate_state> self) {
  return {
      [=](issue_atom, user_id) { return self->make_response_promise<code, token_view>(); },
      [=](poll_atom, const std::string&) {
        return self->make_response_promise<code, token_view>();
      },
      [=](poll_atom, const std::vector<std::string>&) {
        return self->make_response_promise<std::vector<poll_answer>>();
      },
      [=](check_atom, const std::string&) {
        self->state.checks.push_back(self->make_response_promise<code, user_id>());
        return self->state.checks.back();
      },
      [=](leave_atom, const std::string&) { return self->make_response_promise<code>(); },
      [=](end_atom, user_id) { return self->make_response_promise<code>(); },
      [=](stats_atom) { return self->make_response_promise<gate_stats>(); },
      [=](admissions_atom) { return self->make_response_promise<std::vector<uint64_t>>(); },
      [=](tick_atom) {
        for (auto& rp : self->state.checks) rp.deliver(code::ok, user_id{7});
        self->state.checks.clear();
      },
  };
}

/// Wallets that count the holds asked of them (and refuse them).
wallet_actor::behavior_type counting_wallets(wallet_actor::pointer,
                                             std::shared_ptr<std::atomic<int>> holds) {
  return {
      [](charge_atom, user_id, points) { return std::make_tuple(code::ok, points{0}); },
      [](balance_atom, user_id) { return points{0}; },
      [](history_atom, user_id) { return std::vector<history_entry>{}; },
      [holds](hold_atom, user_id, schedule_id, seat_no) {
        ++*holds;
        return std::make_tuple(code::seat_unavailable, reservation{});
      },
      [](resv_atom, user_id, reservation_id) {
        return std::make_tuple(code::reservation_not_found, reservation{});
      },
      [](pay_atom, user_id, reservation_id, const std::string&) {
        return std::make_tuple(code::reservation_not_found, payment{});
      },
  };
}

const header_list bearer{{"Authorization", "Bearer abc"}};

class TimeoutTest : public ::testing::Test {
 protected:
  TimeoutTest() {
    configure_caf(cfg_, false, 1);
    sys_.emplace(cfg_);
    gate_ = sys_->spawn(silent_gate);
    wallets_ = sys_->spawn(counting_wallets, holds_);
    system_handles actors;
    actors.gate = gate_;
    actors.wallets = wallets_;
    // As in concertd: requests go through the bridge, whose deadline is per io round.
    bridge_ = make_bridge(ioc_, dispatch_context{*sys_, actors, stats_, 200ms});
    server_options o;
    srv_ = std::make_unique<server>(ioc_, o, stats_, [b = bridge_](command c, responder done) {
      dispatch(*b, std::move(c), std::move(done));
    });
    port_ = srv_->start();
    work_.emplace(ioc_.get_executor());
    io_ = std::thread([this] { ioc_.run(); });
  }

  ~TimeoutTest() override {
    std::promise<void> drained;
    srv_->stop([&] { drained.set_value(); });
    EXPECT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
    close(*bridge_);  // its deadline timer would keep the io thread running
    work_.reset();
    io_.join();
    srv_->release_handler();  // its copy of the gate handle
    bridge_.reset();
    caf::anon_send_exit(gate_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(wallets_, caf::exit_reason::user_shutdown);
    gate_ = nullptr;
    wallets_ = nullptr;
    sys_.reset();  // waits for the gate and any bridge actor
  }

  /// Kills the gate and waits until it is gone.
  void kill_gate() {
    caf::scoped_actor self{*sys_};
    self->monitor(gate_);
    caf::anon_send_exit(gate_, caf::exit_reason::kill);
    self->receive([](const caf::down_msg&) {});
  }

  std::string metrics_text() { return stats_.render({}, {}); }

  static void expect_unavailable(const client_response& r) {
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(r.json()["code"], "SERVICE_UNAVAILABLE");
    EXPECT_EQ(r.json()["status"], 503);
    EXPECT_EQ(r.header("retry-after"), "1");
  }

  metrics stats_;
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  caf::actor_system_config cfg_;
  std::optional<caf::actor_system> sys_;
  gate_actor gate_;
  std::shared_ptr<std::atomic<int>> holds_ = std::make_shared<std::atomic<int>>(0);
  wallet_actor wallets_;
  std::shared_ptr<bridge> bridge_;
  std::unique_ptr<server> srv_;
  std::thread io_;
  uint16_t port_ = 0;
};

TEST_F(TimeoutTest, SilentActorGives503AndTheConnectionStaysUsable) {
  client c(port_);
  auto r = c.request("GET", "/api/v1/queue/tokens/me", {}, bearer);
  expect_unavailable(r);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
  auto text = metrics_text();
  // Both answers went over the one connection the client opened.
  EXPECT_NE(text.find("concert_http_connections_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("concert_http_requests_total{route=\"/api/v1/queue/tokens/me\","
                      "method=\"GET\",status=\"503\"} 1\n"),
            std::string::npos)
      << text;
}

TEST_F(TimeoutTest, PipelinedRequestBehindATimeoutIsAnsweredInOrder) {
  client c(port_);
  c.send_raw(
      "GET /api/v1/queue/tokens/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  expect_unavailable(c.read_response());
  auto second = c.read_response();
  EXPECT_EQ(second.status, 200u);
  EXPECT_EQ(second.json()["status"], "ok");
}

TEST_F(TimeoutTest, GuardedRouteGives503WhenTheTokenCheckTimesOut) {
  client c(port_);
  expect_unavailable(c.request("GET", "/api/v1/concerts", {}, bearer));
  expect_unavailable(
      c.request("POST", "/api/v1/reservations", R"({"scheduleId":1,"seatNo":1})", bearer));
}

TEST_F(TimeoutTest, ATokenCheckAnsweredAfterTheDeadlineStartsNoHold) {
  client c(port_);
  expect_unavailable(
      c.request("POST", "/api/v1/reservations", R"({"scheduleId":1,"seatNo":1})", bearer));
  caf::anon_send(gate_, tick_atom::value);  // the check now says ok, too late
  // Give the bridge time to act on it: a hold would reach the wallets within microseconds.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(holds_->load(), 0) << "the client was told 503, yet a seat hold was asked";
  // The same path in time does reach the wallets: the gate answers the next check at once.
  std::thread late([this] {
    std::this_thread::sleep_for(50ms);
    caf::anon_send(gate_, tick_atom::value);
  });
  auto r = c.request("POST", "/api/v1/reservations", R"({"scheduleId":1,"seatNo":1})", bearer);
  late.join();
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(holds_->load(), 1);
}

TEST_F(TimeoutTest, ActorThatIsGoneGives503) {
  kill_gate();
  client c(port_);
  expect_unavailable(c.request("POST", "/api/v1/queue/tokens", R"({"userId":7})"));
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
}

TEST_F(TimeoutTest, UnsupportedMethodsGet405WithAllow) {
  client c(port_);
  struct probe {
    const char* method;
    const char* target;
    const char* allow;
  };
  for (auto p : {probe{"PUT", "/api/v1/queue/tokens/me", "GET, DELETE"},
                 probe{"PATCH", "/api/v1/reservations/1", "GET"},
                 probe{"DELETE", "/api/v1/concerts", "GET"}, probe{"OPTIONS", "/healthz", "GET"},
                 probe{"GET", "/api/v1/payments", "POST"}, probe{"BREW", "/healthz", "GET"}}) {
    auto r = c.request(p.method, p.target, {}, bearer);
    EXPECT_EQ(r.status, 405u) << p.method << " " << p.target;
    EXPECT_EQ(r.header("allow"), p.allow) << p.method << " " << p.target;
    EXPECT_EQ(r.json()["code"], "METHOD_NOT_ALLOWED") << p.method << " " << p.target;
    EXPECT_TRUE(r.keep_alive) << p.method << " " << p.target;
  }
  // None of them reached the (silent) gate: each was answered without waiting for it.
  auto text = metrics_text();
  EXPECT_EQ(text.find("status=\"503\""), std::string::npos) << text;
}

}  // namespace
}  // namespace concert::http
