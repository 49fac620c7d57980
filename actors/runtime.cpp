// Builds the actor system: CAF settings, the token key, and the long-lived actors, in
// memory or recovered from a store (recovery itself is persistence.cpp).

#include "actors/runtime.hpp"

#include <sched.h>
#include <sodium.h>
#include <caf/all.hpp>

#include <stdexcept>
#include <utility>

#include "actors/persistent_spawn.hpp"
#include "actors/rng.hpp"

namespace concert {

unsigned usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  return 1;
}

void configure_caf(caf::actor_system_config& cfg, bool deterministic, unsigned threads) {
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  add_store_error_category(cfg);
  if (deterministic) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    return;
  }
  // CAF's default of max(4, cores) workers oversubscribes a small machine and its
  // spinning workers then starve everything else (caf-0.17.md §5).
  if (threads == 0) threads = usable_cpus();
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
}

namespace {

std::array<uint8_t, 32> token_key_for(uint64_t seed) {
  std::array<uint8_t, 32> key{};
  if (seed == 0) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    randombytes_buf(key.data(), key.size());
    return key;
  }
  rng r{seed ^ 0x746f6b656e6b6579ULL};  // a sub-stream of its own: "tokenkey"
  for (size_t i = 0; i < key.size(); i += 8) {
    uint64_t v = r.next();
    for (size_t b = 0; b < 8; ++b) key[i + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  return key;
}

/// Recovers the state of `s.persist.db` and spawns the actors over it into `h`.
status spawn_persistent(caf::actor_system& sys, const system_settings& s,
                        const std::optional<catalog_data>& initial, system_handles& h) {
  auto& db = *s.persist.db;
  auto catalog = load_or_create_catalog(db, initial, s.seats.seats_per_block);
  if (!catalog.ok()) return catalog.error();
  auto key = load_or_create_token_key(db, token_key_for(s.seed));
  if (!key.ok()) return key.error();
  auto rec = recover_state(db, catalog.value(), s.seats, h.clock.now(sys.clock()));
  if (!rec.ok()) return rec.error();
  const auto& writer = s.persist.writer;
  gate_config gc = s.gate;
  gc.token_key = key.value();
  h.gate = spawn_gate_persistent(sys, gc, h.clock, std::move(rec.value().gate), writer);
  h.catalog = spawn_catalog_persistent(sys, catalog.value(), std::move(rec.value().blocks), h.clock,
                                       writer);
  h.wallets = spawn_wallet_registry(sys, s.wallets, h.catalog, h.gate, h.clock,
                                    std::make_shared<store_wallet_archive>(s.persist.db),
                                    wallet_persistence{writer, s.crash_point});
  h.persist = s.persist;
  h.recovered = rec.value().report;
  return {};
}

}  // namespace

system_handles spawn_system(caf::actor_system& sys, const system_settings& s,
                            const catalog_data& catalog) {
  system_handles h;
  h.clock = make_time_base(sys, s.epoch_at_start);
  if (s.persist) {
    if (auto st = spawn_persistent(sys, s, catalog, h); !st.ok())
      throw std::runtime_error("recovery failed: " + st.to_string());
    return h;
  }
  gate_config gc = s.gate;
  gc.token_key = token_key_for(s.seed);
  h.gate = spawn_gate(sys, gc, h.clock);
  h.catalog = spawn_catalog(sys, catalog, s.seats, h.clock);
  h.wallets = spawn_wallets(sys, s.wallets, h.catalog, h.gate, h.clock);
  return h;
}

result<system_handles> open_persistent_system(caf::actor_system& sys, system_settings s,
                                              const persistent_options& o) {
  auto opened = store::open(o.data_dir, o.store_tuning);
  if (!opened.ok()) return opened.error();
  std::shared_ptr<store> db = std::move(opened.value());
  std::shared_ptr<kv_store> sink = o.wrap_writes ? o.wrap_writes(db) : db;
  s.persist = persistence{db, spawn_store(sys, std::move(sink), o.writer)};
  system_handles h;
  h.clock = make_time_base(sys, s.epoch_at_start);
  if (auto st = spawn_persistent(sys, s, o.initial_catalog, h); !st.ok()) {
    caf::anon_send_exit(s.persist.writer, caf::exit_reason::user_shutdown);
    return st;
  }
  return h;
}

void stop_system(const system_handles& h) {
  caf::anon_send_exit(h.wallets, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(h.catalog, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(h.gate, caf::exit_reason::user_shutdown);
  if (!h.persist.writer) return;
  // An exit would overtake writes still queued (it is urgent); a barrier does not.
  auto writer = h.persist.writer;
  auto& sys = caf::actor_cast<caf::abstract_actor*>(writer)->home_system();
  sys.spawn([writer](caf::event_based_actor* self) {
    auto quit_writer = [=] { self->send_exit(writer, caf::exit_reason::user_shutdown); };
    self->request(writer, caf::infinite, write_atom::value, write_batch{})
        .then([=](uint64_t) { quit_writer(); }, [=](caf::error&) { quit_writer(); });
  });
}

}  // namespace concert
