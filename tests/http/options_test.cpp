// concertd's command line: the contract's flags and defaults, --help listing every flag,
// and bad values refused with a non-zero exit.
#include "http/options.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace concert::http {
namespace {

cli_outcome parse(std::vector<const char*> args, std::string* out_text = nullptr) {
  args.insert(args.begin(), "concertd");
  std::ostringstream out, err;
  auto r = parse_command_line(static_cast<int>(args.size()), args.data(), out, err);
  if (out_text) *out_text = out.str() + err.str();
  return r;
}

TEST(Options, DefaultsFollowTheContract) {
  auto r = parse({});
  ASSERT_TRUE(r.opts);
  const auto& o = *r.opts;
  EXPECT_EQ(o.server.port, 8080);
  EXPECT_EQ(o.server.address, "127.0.0.1");
  EXPECT_EQ(o.data_dir, "./data");
  EXPECT_EQ(o.system.seats.hold_time, seconds_us(300));
  EXPECT_EQ(o.system.gate.active_ttl, seconds_us(600));
  EXPECT_EQ(o.system.gate.waiting_idle, seconds_us(60));
  EXPECT_EQ(o.system.gate.max_active, 100);
  EXPECT_EQ(o.system.gate.admit_per_second, 0.0);
  EXPECT_EQ(o.system.gate.max_waiting, 5'000'000u) << "the line is bounded by default";
  EXPECT_EQ(o.system.wallets.max_holds_per_user, 4u);
  EXPECT_EQ(o.system.seed, 0u);
  EXPECT_EQ(o.io_threads, 1u);
  EXPECT_FALSE(o.server.access_log);
  EXPECT_TRUE(o.catalog.concerts.empty());
  EXPECT_EQ(o.server.body_bytes_max, 64u * 1024);
  EXPECT_EQ(o.durability, commit_mode::group) << "the default is the durable group commit";
  EXPECT_TRUE(o.admin_token.empty()) << "admin routes are off unless asked for";
  EXPECT_TRUE(r.restore_from.empty());
}

TEST(Options, DurabilityAdminTokenAndRestore) {
  auto fsync = parse({"--durability", "fsync", "--admin-token", "s3cret"});
  ASSERT_TRUE(fsync.opts);
  EXPECT_EQ(fsync.opts->durability, commit_mode::fsync_each);
  EXPECT_EQ(fsync.opts->admin_token, "s3cret");
  auto group = parse({"--durability", "group"});
  ASSERT_TRUE(group.opts);
  EXPECT_EQ(group.opts->durability, commit_mode::group);
  auto restore = parse({"--restore-from", "/backups/b1", "--data-dir", "/data/new"});
  ASSERT_TRUE(restore.opts);
  EXPECT_EQ(restore.restore_from, "/backups/b1");
  EXPECT_EQ(restore.opts->data_dir, "/data/new");
}

TEST(Options, EveryFlagIsApplied) {
  auto r = parse({"--port",
                  "0",
                  "--data-dir",
                  "/tmp/x",
                  "--hold-seconds",
                  "2",
                  "--active-ttl-seconds",
                  "30",
                  "--waiting-idle-seconds",
                  "5",
                  "--max-active",
                  "1",
                  "--admit-per-second",
                  "2.5",
                  "--max-waiting",
                  "3",
                  "--max-holds-per-user",
                  "2",
                  "--max-balance",
                  "1000",
                  "--demo-catalog",
                  "--io-threads",
                  "2",
                  "--seed",
                  "7",
                  "--access-log",
                  "on",
                  "--max-connections",
                  "10",
                  "--idle-timeout-seconds",
                  "3",
                  "--request-timeout-ms",
                  "250",
                  "--address",
                  "0.0.0.0"});
  ASSERT_TRUE(r.opts);
  const auto& o = *r.opts;
  EXPECT_EQ(o.server.port, 0);
  EXPECT_EQ(o.data_dir, "/tmp/x");
  EXPECT_EQ(o.system.seats.hold_time, seconds_us(2));
  EXPECT_EQ(o.system.gate.active_ttl, seconds_us(30));
  EXPECT_EQ(o.system.gate.waiting_idle, seconds_us(5));
  EXPECT_EQ(o.system.gate.max_active, 1);
  EXPECT_EQ(o.system.gate.admit_per_second, 2.5);
  EXPECT_EQ(o.system.gate.max_waiting, 3u);
  EXPECT_EQ(o.system.wallets.max_holds_per_user, 2u);
  EXPECT_EQ(o.system.wallets.max_balance, 1000);
  EXPECT_FALSE(o.catalog.concerts.empty());
  EXPECT_EQ(o.io_threads, 2u);
  EXPECT_EQ(o.system.seed, 7u);
  EXPECT_TRUE(o.server.access_log);
  EXPECT_EQ(o.server.connections_max, 10u);
  EXPECT_EQ(o.server.idle_timeout, std::chrono::seconds(3));
  EXPECT_EQ(o.actor_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(o.server.address, "0.0.0.0");
}

TEST(Options, SyntheticCatalogHasTheAskedShapeAndExcludesTheDemo) {
  auto r = parse({"--synthetic-catalog", "2x3x40"});
  ASSERT_TRUE(r.opts);
  EXPECT_EQ(r.opts->catalog.concerts.size(), 2u);
  ASSERT_EQ(r.opts->catalog.schedules.size(), 6u);
  for (const auto& s : r.opts->catalog.schedules) EXPECT_EQ(s.prices.size(), 40u);
  for (std::vector<const char*> bad :
       {std::vector<const char*>{"--synthetic-catalog", "0x1x1"},
        {"--synthetic-catalog", "1x1"},
        {"--synthetic-catalog", "1x1x1x"},
        {"--synthetic-catalog", "ten"},
        {"--synthetic-catalog", "100x1000x1000"},  // 100 million seats
        {"--synthetic-catalog", "1x1x10", "--demo-catalog"}}) {
    std::string text;
    auto bad_r = parse(bad, &text);
    EXPECT_FALSE(bad_r.opts) << bad[1];
    EXPECT_NE(bad_r.exit_code, 0) << bad[1];
  }
}

TEST(Options, HelpListsEveryFlagWithItsDefault) {
  std::string text;
  auto r = parse({"--help"}, &text);
  EXPECT_FALSE(r.opts);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag :
       {"--port", "--data-dir", "--hold-seconds", "--active-ttl-seconds", "--waiting-idle-seconds",
        "--max-active", "--admit-per-second", "--max-waiting", "--max-holds-per-user",
        "--max-balance", "--demo-catalog", "--io-threads", "--seed", "--access-log", "--durability",
        "--admin-token", "--restore-from"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  EXPECT_NE(text.find("=300"), std::string::npos);
  EXPECT_NE(text.find("=8080"), std::string::npos);
  EXPECT_NE(text.find("=group"), std::string::npos) << "--durability shows its default";
}

TEST(Options, BadValuesAreRefused) {
  for (std::vector<const char*> bad : {std::vector<const char*>{"--port", "70000"},
                                       {"--port", "x"},
                                       {"--hold-seconds", "0"},
                                       {"--max-active", "-1"},
                                       {"--max-waiting", "-1"},
                                       {"--access-log", "maybe"},
                                       {"--durability", "sometimes"},
                                       {"--io-threads", "0"},
                                       {"--no-such-flag"},
                                       {"positional"}}) {
    std::string text;
    auto r = parse(bad, &text);
    EXPECT_FALSE(r.opts) << bad[0];
    EXPECT_NE(r.exit_code, 0) << bad[0];
    EXPECT_FALSE(text.empty());
  }
}

}  // namespace
}  // namespace concert::http
