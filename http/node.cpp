// Construction order is the dependency order: metrics and the io_context first (bridge
// actors post into the io_context until the actor system is gone), then the actor
// system, then the server. Teardown reverses it explicitly in finish(). The admin
// backup route is answered here, not in dispatch: it needs the store, not an actor.
#include "http/node.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/blocking_actor.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "http/dispatch.hpp"

namespace concert::http {

namespace net = boost::asio;
namespace fs = std::filesystem;

namespace {

// Admin outcomes that the shared problem table (problem.hpp) has no row for.
constexpr problem_spec backup_dir_taken{409, "BACKUP_DIR_NOT_EMPTY", "backup-dir-not-empty",
                                        "Backup directory is not empty"};
constexpr problem_spec backup_failed{500, "BACKUP_FAILED", "backup-failed", "Backup failed"};

/// Compares secrets in time independent of where they differ, so answer times do not
/// reveal a matching prefix of the admin token.
bool same_secret(std::string_view given, std::string_view secret) {
  if (secret.empty() || given.size() != secret.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < secret.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ secret[i]);
  return diff == 0;
}

/// An online backup of `db` into `dir`: a RocksDB checkpoint (every write acknowledged
/// before it is in the copy), then a read-only verify of the copy. Blocks for as long
/// as that takes, so it runs on its own thread, never on an io thread or CAF worker.
response_out backup_now(store& db, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec))
      return problem(backup_dir_taken, dir + " exists and is not an empty directory");
    fs::remove(dir, ec);  // the checkpoint creates the directory itself
  }
  fs::create_directories(fs::path(dir).parent_path(), ec);
  uint64_t sequence = 0;
  auto st = db.checkpoint(dir, &sequence);
  if (st.ok()) st = store::verify(dir);
  if (!st.ok()) return problem(backup_failed, st.to_string());
  response_out r;
  r.status = 201;
  r.content_type = "application/json; charset=utf-8";
  r.body = nlohmann::json{{"dir", dir}, {"sequence", sequence}}.dump();
  return r;
}

}  // namespace

struct node::impl {
  explicit impl(node_options o) : opts(std::move(o)), signals(ioc) {}

  node_options opts;
  metrics stats;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  system_handles actors;
  std::shared_ptr<bridge> edge;
  std::unique_ptr<server> srv;
  std::vector<std::thread> io;
  net::signal_set signals;
  uint16_t port = 0;
  std::mutex mu;
  bool stop_requested = false;
  bool finished = false;

  void start();
  void backup(const command& c, responder done);
  void request_stop();
  void finish();
  void wait_signal();
};

void node::impl::start() {
  if (auto err = validate(opts.catalog); !err.empty())
    throw std::invalid_argument("invalid catalog: " + err);
  if (!opts.data_dir.empty()) std::filesystem::create_directories(opts.data_dir);
  unsigned io_threads = std::max(1u, opts.io_threads);
  unsigned caf_threads = opts.caf_threads;
  if (caf_threads == 0) caf_threads = usable_cpus() > io_threads ? usable_cpus() - io_threads : 1;
  configure_caf(cfg, false, caf_threads);
  // Idle workers go straight to sleep and are woken by the next message. CAF's default
  // polls every 50 us for 25 ms first; here the io threads share the cores, and each of
  // those wake-ups preempts an io thread (measured: 17k of them per 5 s of polling load).
  cfg.set("work-stealing.aggressive-poll-attempts", size_t{0});
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  sys = std::make_unique<caf::actor_system>(cfg);
  if (opts.data_dir.empty()) {
    actors = spawn_system(*sys, opts.system, opts.catalog);
  } else {
    persistent_options po;
    po.data_dir = opts.data_dir;
    if (!opts.catalog.concerts.empty()) po.initial_catalog = opts.catalog;
    po.writer.mode = opts.durability;
    // On its own thread: concertd leaves CAF one worker on a 2-core machine, and a writer
    // blocking it for each fsync (2-4 ms on a loaded disk) stalls every actor, so batches
    // stay tiny. (Never under the test scheduler: a detached actor there is a data race.)
    po.writer.detached = true;
    auto opened = open_persistent_system(*sys, opts.system, po);
    if (!opened.ok()) {
      stop_system(actors);
      throw std::runtime_error("cannot open data directory " + opts.data_dir + ": " +
                               opened.error().to_string());
    }
    actors = std::move(opened.value());
  }
  edge = make_bridge(ioc, dispatch_context{*sys, actors, stats, opts.actor_timeout});
  auto server_opts = opts.server;
  server_opts.single_io_thread = io_threads == 1;
  srv = std::make_unique<server>(ioc, server_opts, stats,
                                 [edge = edge, this](command c, responder done) {
                                   if (std::holds_alternative<take_backup>(c.what))
                                     return backup(c, std::move(done));
                                   dispatch(*edge, std::move(c), std::move(done));
                                 });
  try {
    port = srv->start();
  } catch (...) {
    stop_system(actors);  // else ~actor_system waits for the actors' timers
    srv.reset();          // its handler holds handles too (see finish)
    close(*edge);
    edge.reset();
    actors = system_handles{};
    throw;
  }
  work.emplace(ioc.get_executor());
  for (unsigned i = 0; i < io_threads; ++i)
    io.emplace_back([this] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {  // a handler threw: log it, keep serving
          std::fprintf(stderr, "concertd: io thread: %s\n", e.what());
        }
      }
    });
}

/// 404 unless enabled (and backed by a store), 401 for another token; the backup
/// itself on a thread of its own (a blocking actor), answered from there.
void node::impl::backup(const command& c, responder done) {
  if (opts.admin_token.empty() || !actors.persist)
    return done(problem(edge_problem::route_not_found, "no resource at this path"));
  if (!same_secret(c.token, opts.admin_token))
    return done(refuse(rejection{code::token_invalid, "not the admin token"}));
  sys->spawn([db = actors.persist.db, dir = std::get<take_backup>(c.what).dir,
              done = std::move(done)](caf::blocking_actor*) { done(backup_now(*db, dir)); });
}

void node::impl::request_stop() {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stop_requested) return;
    stop_requested = true;
  }
  srv->stop([this] {
    // Drained: nothing in flight is left, so the io threads may run out of work (the
    // bridge's pending deadline timer would hold them until it fired).
    close(*edge);
    boost::system::error_code ec;
    signals.cancel(ec);
    work.reset();
  });
}

void node::impl::finish() {
  if (finished) return;
  finished = true;
  for (auto& t : io) t.join();
  // After a forced stop connections may remain: close them and run their handlers down
  // here, while the actor system they may still call is alive.
  work.reset();
  boost::system::error_code ec;
  signals.cancel(ec);
  srv->abort();
  ioc.restart();
  ioc.run_for(std::chrono::seconds(2));
  srv->release_handler();  // the handler's copy of the handles would keep the writer alive
  close(*edge);            // open rounds end now; a flush still queued must not reach the system
  stop_system(actors);
  // Drop our handles first (the bridge has copies): a detached actor's thread (the
  // store writer) ends only once nothing refers to it, and ~actor_system waits for it.
  edge.reset();
  actors = system_handles{};
  sys.reset();  // waits for every actor, bridge actors included
  // Answers the bridge actors posted meanwhile go to closed connections; run them now,
  // so nothing that outlives this point still refers to a session.
  ioc.restart();
  ioc.poll();
}

void node::impl::wait_signal() {
  signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    bool again;
    {
      std::lock_guard<std::mutex> lock(mu);
      again = stop_requested;
    }
    if (again) {
      std::fprintf(stderr, "concertd: signal %d again: stopping now\n", sig);
      ioc.stop();
      return;
    }
    std::fprintf(stderr, "concertd: signal %d: finishing in-flight requests\n", sig);
    request_stop();
    wait_signal();
  });
}

node::node(node_options opts) : impl_(std::make_unique<impl>(std::move(opts))) { impl_->start(); }

node::~node() { stop(); }

uint16_t node::port() const { return impl_->port; }

const node_options& node::options() const { return impl_->opts; }

void node::request_stop() { impl_->request_stop(); }

void node::wait() { impl_->finish(); }

void node::stop() {
  request_stop();
  wait();
}

void node::stop_on_signals() {
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->wait_signal();
}

}  // namespace concert::http
