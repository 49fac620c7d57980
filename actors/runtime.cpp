// Builds the actor system: CAF settings, the token key, and the long-lived actors.

#include "actors/runtime.hpp"

#include <caf/all.hpp>
#include <sched.h>
#include <sodium.h>

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

}  // namespace

system_handles spawn_system(caf::actor_system& sys, const system_settings& s,
                            const catalog_data& catalog) {
  system_handles h;
  h.clock = make_time_base(sys, s.epoch_at_start);
  gate_config gc = s.gate;
  gc.token_key = token_key_for(s.seed);
  h.gate = spawn_gate(sys, gc, h.clock);
  h.catalog = spawn_catalog(sys, catalog, s.seats, h.clock);
  h.wallets = spawn_wallets(sys, s.wallets, h.catalog, h.gate, h.clock);
  return h;
}

void stop_system(const system_handles& h) {
  caf::anon_send_exit(h.wallets, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(h.catalog, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(h.gate, caf::exit_reason::user_shutdown);
}

}  // namespace concert
