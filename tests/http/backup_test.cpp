// Online backup and offline restore, end to end: POST /admin/v1/backup on a serving node
// (only with --admin-token, only for that token, never onto data), then
// `concertd --restore-from` into a new directory and a node started on it must show
// exactly the balances and sold seats acknowledged before the backup, and nothing after.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http/api_fixture.hpp"
#include "support/concertd_process.hpp"

namespace concert::http {
namespace {

namespace fs = std::filesystem;
using testing::expect_problem;
using testing::test_options;
using json = nlohmann::json;
using namespace std::chrono_literals;
using support::concertd_path;

constexpr const char* admin_secret = "let-me-back-up";

/// Runs concertd to its end (a one-shot command such as --restore-from); its exit code.
int run_concertd(std::vector<std::string> args) {
  args.insert(args.begin(), concertd_path().string());
  support::concertd_process p(std::move(args));
  return p.wait_exit(60s);  // -1 when it hangs
}

header_list bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("concertd-backup-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<node> start(const fs::path& data, std::string admin_token = admin_secret) {
    auto o = test_options();
    o.data_dir = data.string();
    o.admin_token = std::move(admin_token);
    return std::make_unique<node>(std::move(o));
  }
  static client_response backup(client& c, const std::string& dir,
                                const std::string& token = admin_secret) {
    return c.request("POST", "/admin/v1/backup", json{{"dir", dir}}.dump(), bearer(token));
  }
  static int64_t balance(client& c, user_id u) {
    return c.request("GET", "/api/v1/users/" + std::to_string(u) + "/points").json()["balance"];
  }
  static void charge(client& c, user_id u, int64_t amount) {
    auto r = c.request("POST", "/api/v1/users/" + std::to_string(u) + "/points/charge",
                       json{{"amount", amount}}.dump());
    ASSERT_EQ(r.status, 200u) << r.body;
  }
  static std::string token(client& c, user_id u) {
    auto r = c.request("POST", "/api/v1/queue/tokens", json{{"userId", u}}.dump());
    return r.json().value("token", "");
  }
  /// Buys seat `seat` of schedule 1 for `u` (charging its price first).
  static void buy(client& c, user_id u, int64_t seat) {
    auto t = token(c, u);
    auto h = c.request("POST", "/api/v1/reservations",
                       json{{"scheduleId", 1}, {"seatNo", seat}}.dump(), bearer(t));
    ASSERT_EQ(h.status, 201u) << h.body;
    charge(c, u, h.json()["price"].get<int64_t>());
    auto p = c.request("POST", "/api/v1/payments", json{{"reservationId", h.json()["id"]}}.dump(),
                       bearer(t));
    ASSERT_EQ(p.status, 201u) << p.body;
  }
  /// Seat numbers of schedule 1 that are SOLD.
  static std::vector<int64_t> sold(client& c) {
    auto r = c.request("GET", "/api/v1/schedules/1/seats?all=true", {}, bearer(token(c, 999)));
    std::vector<int64_t> out;
    for (const auto& s : r.json())
      if (s["status"] == "SOLD") out.push_back(s["seatNo"].get<int64_t>());
    return out;
  }

  fs::path dir_;
};

TEST_F(BackupTest, TheRouteIsOffWithoutAnAdminToken) {
  auto n = start(dir_ / "data", "");
  client c(n->port());
  expect_problem(backup(c, (dir_ / "b").string(), "anything"), 404, "NOT_FOUND");
  expect_problem(c.request("POST", "/admin/v1/backup", json{{"dir", "/tmp/x"}}.dump()), 401,
                 "TOKEN_INVALID");
  EXPECT_FALSE(fs::exists(dir_ / "b"));
}

TEST_F(BackupTest, RefusesOtherTokensBadDirsAndExistingData) {
  auto n = start(dir_ / "data");
  client c(n->port());
  auto wrong = backup(c, (dir_ / "b").string(), "let-me-back-uq");
  expect_problem(wrong, 401, "TOKEN_INVALID");
  EXPECT_EQ(wrong.header("www-authenticate"), "Bearer");
  expect_problem(backup(c, "relative/dir"), 400, "INVALID_REQUEST");
  expect_problem(c.request("POST", "/admin/v1/backup", R"({"dir": 7})", bearer(admin_secret)), 400,
                 "INVALID_REQUEST");
  fs::create_directories(dir_ / "full");
  std::ofstream(dir_ / "full" / "keep.txt") << "precious";
  expect_problem(backup(c, (dir_ / "full").string()), 409, "BACKUP_DIR_NOT_EMPTY");
  EXPECT_TRUE(fs::exists(dir_ / "full" / "keep.txt"));
  EXPECT_FALSE(fs::exists(dir_ / "b"));
  fs::create_directories(dir_ / "empty");
  EXPECT_EQ(backup(c, (dir_ / "empty").string()).status, 201u) << "an empty directory is fine";
}

TEST_F(BackupTest, BackupWhileServingThenRestoreShowsExactlyWhatWasAcknowledgedBefore) {
  if (!fs::exists(concertd_path())) GTEST_SKIP() << "concertd not built";
  const auto copy = dir_ / "backups" / "b1";
  std::vector<int64_t> sold_before;
  int64_t acked_before_backup = 0;  // user 50's charges acknowledged before the call
  {
    auto n = start(dir_ / "data");
    client c(n->port());
    charge(c, 1, 1000);
    buy(c, 2, 7);
    buy(c, 3, 8);
    sold_before = sold(c);
    // A writer keeps charging user 50 while the backup runs.
    std::atomic<int64_t> acked{0};
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      client w(n->port());
      while (!stop) {
        charge(w, 50, 1);
        ++acked;
      }
    });
    while (acked < 20) std::this_thread::yield();  // the backup starts mid-load
    acked_before_backup = acked;
    auto r = backup(c, copy.string());
    stop = true;
    writer.join();
    ASSERT_EQ(r.status, 201u) << r.body;
    EXPECT_EQ(r.json()["dir"], copy.string());
    EXPECT_GT(r.json()["sequence"].get<uint64_t>(), 0u);
    charge(c, 1, 5);  // after the backup: not in the copy
    buy(c, 4, 9);
    EXPECT_EQ(balance(c, 1), 1005);
    n->stop();
  }
  EXPECT_NE(run_concertd({"--restore-from", copy.string(), "--data-dir", (dir_ / "data").string()}),
            0)
      << "a restore never overwrites data";
  const auto restored = dir_ / "restored";
  ASSERT_EQ(run_concertd({"--restore-from", copy.string(), "--data-dir", restored.string()}), 0);
  auto n = start(restored);
  client c(n->port());
  EXPECT_EQ(balance(c, 1), 1000) << "the charge after the backup is not in it";
  EXPECT_EQ(sold(c), sold_before) << "seat 9 was sold after the backup";
  EXPECT_GE(balance(c, 50), acked_before_backup) << "charges acknowledged before the call";
  EXPECT_EQ(balance(c, 2), 0);
  auto again = backup(c, (dir_ / "backups" / "b2").string());
  EXPECT_EQ(again.status, 201u) << "a restored server backs up too: " << again.body;
}

}  // namespace
}  // namespace concert::http
