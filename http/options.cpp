// CLI11 definitions of every concertd flag. Defaults come from the structs they fill,
// so --help shows exactly what an unset flag means.
#include "http/options.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <ostream>

namespace concert::http {

namespace {

struct catalog_shape {
  uint32_t concerts = 0, schedules = 0, seats = 0;
};

/// "CxSxN" with every part in range and at most ten million seats in all; else nullopt.
std::optional<catalog_shape> parse_shape(const std::string& text) {
  catalog_shape s;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%ux%ux%u%c", &s.concerts, &s.schedules, &s.seats, &tail) != 3)
    return std::nullopt;
  if (s.concerts < 1 || s.concerts > 10'000 || s.schedules < 1 || s.schedules > 1'000 ||
      s.seats < 1 || s.seats > 100'000)
    return std::nullopt;
  if (uint64_t{s.concerts} * s.schedules * s.seats > 10'000'000) return std::nullopt;
  return s;
}

CLI::Validator synthetic_shape() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        if (parse_shape(v)) return {};
        return "expected CxSxN (concerts x schedules each x seats each, e.g. 10x10x500; "
               "at most 10,000,000 seats)";
      },
      "CxSxN");
}

}  // namespace

cli_outcome parse_command_line(int argc, const char* const* argv, std::ostream& out,
                               std::ostream& err) {
  node_options o;
  o.data_dir = "./data";
  o.server.port = 8080;
  int64_t hold_s = 300, ttl_s = 600, idle_s = 60, idle_conn_s = 30;
  int64_t timeout_ms = 5000;
  bool demo = false;
  std::string synthetic;
  std::string access_log = "off", durability = "group", restore_from;
  auto& g = o.system.gate;
  g.max_waiting = 5'000'000;  // ~430 MB of line at 86 bytes a waiting fan
  auto& w = o.system.wallets;

  CLI::App app{"concertd: concert seat reservation behind a virtual waiting room"};
  app.option_defaults()->always_capture_default();
  app.get_formatter()->column_width(34);
  app.add_option("--port", o.server.port, "TCP port; 0 picks a free one");
  app.add_option("--address", o.server.address, "address to listen on");
  app.add_option("--data-dir", o.data_dir, "data directory (created if missing)");
  app.add_option("--hold-seconds", hold_s, "how long a seat hold lasts")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400}));
  app.add_option("--active-ttl-seconds", ttl_s, "how long an admitted (ACTIVE) token lives")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400}));
  app.add_option("--waiting-idle-seconds", idle_s,
                 "a WAITING token not polled this long is dropped")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400}));
  app.add_option("--max-active", g.max_active, "users inside at once; 0 = no cap")
      ->check(CLI::Range(int64_t{0}, int64_t{10'000'000}));
  app.add_option("--admit-per-second", g.admit_per_second, "admission rate; 0 = off")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--max-waiting", g.max_waiting,
                 "fans in the line at most (newcomers beyond get 503); 0 = no bound")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1'000'000'000}));
  app.add_option("--max-holds-per-user", w.max_holds_per_user, "live holds one user may have")
      ->check(CLI::Range(1u, 1000u));
  app.add_option("--max-balance", w.max_balance, "largest balance a charge may reach")
      ->check(CLI::Range(points{1}, points{INT64_MAX}));
  auto* demo_flag =
      app.add_flag("--demo-catalog", demo,
                   "load the built-in demo catalog (several concerts, 50 seats a schedule)");
  app.add_option("--synthetic-catalog", synthetic,
                 "CxSxN: C concerts, S schedules each, N seats a schedule (load tests), "
                 "loaded like --demo-catalog")
      ->check(synthetic_shape())
      ->excludes(demo_flag);
  app.add_option("--io-threads", o.io_threads, "HTTP io threads; CAF gets the other CPUs")
      ->check(CLI::Range(1u, 64u));
  app.add_option("--seed", o.system.seed, "seed for tokens and randomness; 0 = OS entropy");
  app.add_option("--access-log", access_log, "one stderr line per request")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--max-connections", o.server.connections_max, "open connections at most")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  app.add_option("--idle-timeout-seconds", idle_conn_s,
                 "close a connection without a complete request header after this long")
      ->check(CLI::Range(int64_t{1}, int64_t{3600}));
  app.add_option("--request-timeout-ms", timeout_ms,
                 "bound on a request's way through the actors; then 503")
      ->check(CLI::Range(int64_t{10}, int64_t{600'000}));
  app.add_option("--durability", durability,
                 "group: many writes per fsync; fsync: one fsync per write (both ack after fsync)")
      ->check(CLI::IsMember({"group", "fsync"}));
  app.add_option("--admin-token", o.admin_token,
                 "secret for POST /admin/v1/backup (Bearer); empty = admin routes off");
  app.add_option("--restore-from", restore_from,
                 "restore this backup into an empty --data-dir, then exit (no server)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e, out, err), {}};
  }
  o.system.seats.hold_time = seconds_us(hold_s);
  g.active_ttl = seconds_us(ttl_s);
  g.waiting_idle = seconds_us(idle_s);
  o.server.access_log = access_log == "on";
  o.server.idle_timeout = std::chrono::seconds(idle_conn_s);
  o.actor_timeout = std::chrono::milliseconds(timeout_ms);
  o.durability = durability == "fsync" ? commit_mode::fsync_each : commit_mode::group;
  if (demo) o.catalog = demo_catalog();
  if (auto shape = parse_shape(synthetic))
    o.catalog = synthetic_catalog(shape->concerts, shape->schedules, shape->seats);
  return {std::move(o), 0, std::move(restore_from)};
}

}  // namespace concert::http
