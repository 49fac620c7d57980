// Shared fixture of the end-to-end HTTP tests: a real node (actor system on the real
// scheduler + Beast server) on a loopback port chosen by the OS, with the demo catalog,
// and small helpers to get tokens and read state. Test support only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "actors/catalog.hpp"
#include "http/client.hpp"
#include "http/node.hpp"

namespace concert::http::testing {

using namespace std::chrono_literals;
using json = nlohmann::json;

/// Options for a test node: demo catalog, fixed seed, port 0, one CAF worker.
inline node_options test_options() {
  node_options o;
  o.catalog = demo_catalog();
  o.system.seed = 42;
  o.caf_threads = 1;
  o.io_threads = 1;
  o.server.port = 0;
  o.server.drain_timeout = 2s;
  return o;
}

class ApiTest : public ::testing::Test {
 protected:
  void start(node_options o = test_options()) {
    node_ = std::make_unique<node>(std::move(o));
    client_ = std::make_unique<client>(node_->port());
  }
  void SetUp() override {}
  ~ApiTest() override {
    client_.reset();
    if (node_) node_->stop();
  }

  client& c() {
    if (!node_) start();
    return *client_;
  }
  uint16_t port() {
    if (!node_) start();
    return node_->port();
  }

  static header_list bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  /// POST /queue/tokens for `user`; the token string.
  std::string token_for(user_id user) {
    auto r = c().request("POST", "/api/v1/queue/tokens", json{{"userId", user}}.dump());
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body;
    return r.json().value("token", "");
  }

  client_response get(const std::string& target, const std::string& token = {}) {
    return c().request("GET", target, {}, token.empty() ? header_list{} : bearer(token));
  }
  client_response post(const std::string& target, const json& body, const std::string& token = {},
                       header_list headers = {}) {
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return c().request("POST", target, body.dump(), headers);
  }

  int64_t balance(user_id user) {
    return get("/api/v1/users/" + std::to_string(user) + "/points").json()["balance"];
  }
  void charge(user_id user, int64_t amount) {
    auto r = post("/api/v1/users/" + std::to_string(user) + "/points/charge", {{"amount", amount}});
    ASSERT_EQ(r.status, 200u) << r.body;
  }
  /// Every seat of a schedule with its status (needs an ACTIVE token).
  json all_seats(schedule_id s, const std::string& token) {
    auto r = get("/api/v1/schedules/" + std::to_string(s) + "/seats?all=true", token);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json();
  }
  /// Polls the token until `status` or the deadline; the last poll's body.
  json poll_until(const std::string& token, const std::string& status,
                  std::chrono::milliseconds within = 3s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    json last;
    for (;;) {
      last = get("/api/v1/queue/tokens/me", token).json();
      if (last.value("status", "") == status || std::chrono::steady_clock::now() > deadline)
        return last;
      std::this_thread::sleep_for(20ms);
    }
  }

  std::unique_ptr<node> node_;
  std::unique_ptr<client> client_;
};

/// Asserts status and problem code of a refusal.
inline void expect_problem(const client_response& r, unsigned status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
  auto j = r.json();
  EXPECT_EQ(j.value("code", ""), code) << r.body;
  EXPECT_EQ(j.value("status", 0u), status) << r.body;
  EXPECT_TRUE(j.contains("type") && j.contains("title") && j.contains("detail")) << r.body;
}

}  // namespace concert::http::testing
