// The Beast server alone, with a fake command handler instead of actors: keep-alive,
// pipelining order, every connection-level limit (body 413, header 431, bad HTTP 400,
// slow clients, idle connections, the connection cap), HEAD, Expect: 100-continue and
// the graceful drain that lets an in-flight request finish.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "http/client.hpp"
#include "http/render.hpp"

namespace concert::http {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

class ServerTest : public ::testing::Test {
 protected:
  /// Answers at once, or parks the responder when `park` is set.
  void handle(command cmd, responder done) {
    if (auto* p = std::get_if<get_points>(&cmd.what)) {
      std::unique_lock<std::mutex> lock(mu_);
      if (park_) {
        parked_.push_back(std::move(done));
        cv_.notify_all();
        return;
      }
      lock.unlock();
      return done(render_balance(code::ok, p->user, 0));
    }
    done(render_health());
  }

  void start(server_options o = {}) {
    o.port = 0;
    srv_ = std::make_unique<server>(
        ioc_, o, stats_, [this](command c, responder d) { handle(std::move(c), std::move(d)); });
    port_ = srv_->start();
    work_.emplace(ioc_.get_executor());
    io_ = std::thread([this] { ioc_.run(); });
  }

  void stop() {
    if (!io_.joinable()) return;
    std::promise<void> drained;
    srv_->stop([&] { drained.set_value(); });
    EXPECT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
    work_.reset();
    io_.join();
  }

  ~ServerTest() override { stop(); }

  std::string metrics_text() { return stats_.render({}, {}); }

  /// The metrics once they contain `needle` (a close is visible to the client a moment
  /// before the server's handler has counted it), or after a second.
  std::string metrics_with(const std::string& needle) {
    for (int i = 0; i < 100; ++i) {
      auto text = metrics_text();
      if (text.find(needle) != std::string::npos) return text;
      std::this_thread::sleep_for(10ms);
    }
    return metrics_text();
  }

  static std::string get(std::string_view target, std::string_view extra = {}) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra) + "\r\n";
  }

  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  metrics stats_;
  std::unique_ptr<server> srv_;
  std::thread io_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool park_ = false;
  std::vector<responder> parked_;
};

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  client c(port_);
  for (int i = 0; i < 5; ++i) {
    auto r = c.request("GET", "/healthz");
    EXPECT_EQ(r.status, 200u);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.json()["status"], "ok");
  }
  EXPECT_EQ(srv_->connections(), 1u);
  EXPECT_NE(metrics_text().find("concert_http_connections_total 1\n"), std::string::npos);
  EXPECT_NE(metrics_text().find(R"(route="/healthz",method="GET",status="200"} 5)"),
            std::string::npos);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  park_ = true;
  start();
  client c(port_);
  c.send_raw(get("/api/v1/users/1/points") + get("/api/v1/users/2/points") + get("/healthz"));
  // Answer each parked request as it arrives; the server handles one at a time.
  std::thread answerer([this] {
    for (user_id u : {1u, 2u}) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !parked_.empty(); });
      auto done = std::move(parked_.front());
      parked_.clear();
      lock.unlock();
      std::this_thread::sleep_for(20ms);
      done(render_balance(code::ok, u, 0));
    }
  });
  EXPECT_EQ(c.read_response().json()["userId"], 1);
  EXPECT_EQ(c.read_response().json()["userId"], 2);
  EXPECT_EQ(c.read_response().json()["status"], "ok");
  answerer.join();
}

TEST_F(ServerTest, BodyOverTheLimitIs413AndCloses) {
  start();
  client c(port_);
  std::string body(64 * 1024 + 1, ' ');
  auto r = c.request("POST", "/api/v1/queue/tokens", body);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.json()["code"], "PAYLOAD_TOO_LARGE");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_NE(metrics_with(R"(reason="body_limit"} 1)").find(R"(reason="body_limit"} 1)"),
            std::string::npos);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  start();
  client c(port_);
  std::string chunk(40 * 1024, ' ');
  char size[16];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  std::string raw =
      "POST /api/v1/queue/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  raw += std::string(size) + "\r\n" + chunk + "\r\n" + size + "\r\n" + chunk + "\r\n0\r\n\r\n";
  auto r = c.raw(raw);
  EXPECT_EQ(r.status, 413u);
}

TEST_F(ServerTest, BodyAtTheLimitIsRead) {
  start();
  client c(port_);
  std::string body = R"({"userId": 7})";
  body += std::string(64 * 1024 - body.size(), ' ');
  auto r = c.request("POST", "/api/v1/queue/tokens", body);
  EXPECT_EQ(r.status, 200u);  // the fake handler's answer: the body passed every check
}

TEST_F(ServerTest, HeaderOverTheLimitIs431) {
  start();
  client c(port_);
  auto r = c.request("GET", "/healthz", {}, {{"X-Filler", std::string(20 * 1024, 'a')}});
  EXPECT_EQ(r.status, 431u);
  EXPECT_EQ(r.json()["code"], "HEADERS_TOO_LARGE");
}

TEST_F(ServerTest, GarbageIs400AndCloses) {
  start();
  client c(port_);
  auto r = c.raw("HELLO WORLD\r\n\r\n");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["code"], "INVALID_REQUEST");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_NE(metrics_with(R"(reason="bad_http"} 1)").find(R"(reason="bad_http"} 1)"),
            std::string::npos);
}

TEST_F(ServerTest, SlowClientIsClosedAndIdleConnectionsQuietly) {
  server_options o;
  o.idle_timeout = 300ms;
  start(o);
  client slow(port_), idle(port_);
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200u);
  slow.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes its header
  EXPECT_TRUE(slow.closed_by_server(3s));
  EXPECT_TRUE(idle.closed_by_server(3s));
  metrics_with(R"(reason="timeout"})");
  std::this_thread::sleep_for(100ms);  // time for a wrongly counted idle close to show
  auto text = metrics_text();
  EXPECT_NE(text.find(R"(reason="timeout"} 1)"), std::string::npos) << text;  // the slow one only
}

TEST_F(ServerTest, ConnectionCapRefusesWith503) {
  server_options o;
  o.connections_max = 2;
  start(o);
  client a(port_), b(port_), c(port_);
  EXPECT_EQ(a.request("GET", "/healthz").status, 200u);
  EXPECT_EQ(b.request("GET", "/healthz").status, 200u);
  auto r = c.read_response();  // refused on accept, without a request
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.json()["code"], "TOO_MANY_CONNECTIONS");
  a.disconnect();
  for (int i = 0; i < 100 && srv_->connections() > 1; ++i) std::this_thread::sleep_for(10ms);
  client d(port_);
  EXPECT_EQ(d.request("GET", "/healthz").status, 200u);  // a slot freed up
}

TEST_F(ServerTest, HeadIsAnsweredWithoutBody) {
  start();
  client c(port_);
  c.send_raw("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string bytes;
  EXPECT_TRUE(c.closed_by_server(3s, &bytes));
  // 405 (/healthz is GET only): the header announces the problem body, none follows.
  EXPECT_EQ(bytes.rfind("HTTP/1.1 405", 0), 0u) << bytes;
  EXPECT_NE(bytes.find("Allow: GET\r\n"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("Content-Length: "), std::string::npos) << bytes;
  EXPECT_EQ(bytes.substr(bytes.size() - 4), "\r\n\r\n") << bytes;
}

TEST_F(ServerTest, ExpectContinueGetsContinueBeforeTheBody) {
  start();
  client c(port_);
  std::string body = R"({"userId": 7})";
  c.send_raw(
      "POST /api/v1/queue/tokens HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 100u);
  c.send_raw(body);
  EXPECT_EQ(c.read_response().status, 200u);
}

TEST_F(ServerTest, Http10ClosesAfterTheResponse) {
  start();
  client c(port_);
  auto r = c.raw("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.keep_alive);
}

TEST_F(ServerTest, StopLetsTheInFlightRequestFinish) {
  park_ = true;
  start();
  client busy(port_), idle(port_);
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200u);
  busy.send_raw(get("/api/v1/users/3/points"));
  responder done;
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 5s, [&] { return !parked_.empty(); }));
    done = std::move(parked_.front());
  }
  std::promise<void> drained;
  srv_->stop([&] { drained.set_value(); });
  EXPECT_TRUE(idle.closed_by_server(3s));  // idle connections close at once
  auto fut = drained.get_future();
  EXPECT_EQ(fut.wait_for(100ms), std::future_status::timeout);  // the busy one holds it open
  done(render_balance(code::ok, 3, 0));
  done = nullptr;
  auto r = busy.read_response();
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(fut.wait_for(5s), std::future_status::ready);
  client late(port_, 1s);
  EXPECT_THROW(late.request("GET", "/healthz"), std::runtime_error);  // no longer accepting
  work_.reset();
  io_.join();
}

}  // namespace
}  // namespace concert::http
