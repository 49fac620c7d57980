// A whole actor system on CAF's deterministic test scheduler with a virtual clock, for
// tests that drive several actors at once. `ask` sends a request, runs the scheduler
// until nothing is left to do, and returns the reply; `advance` moves virtual time.
#pragma once

#include <gtest/gtest.h>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <tuple>

#include "actors/catalog.hpp"
#include "actors/runtime.hpp"

namespace concert::testing {

/// 2026-12-01T10:00:00Z, the virtual on-sale moment every deterministic test starts at.
constexpr time_us onsale_epoch_us = 1'796'119'200'000'000;

struct deterministic_config : caf::actor_system_config {
  deterministic_config() { configure_caf(*this, /*deterministic=*/true); }
};

/// Sends one request from `self`, runs the scheduler until nothing is left to do and
/// returns the reply as a tuple; an error fails the test.
template <class... Rs, class Handle, class... Ts>
std::tuple<Rs...> ask_and_run(caf::scoped_actor& self, caf::scheduler::test_coordinator& sched,
                              const Handle& dest, Ts&&... xs) {
  std::tuple<Rs...> out{};
  auto rh = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
  sched.run();
  rh.receive(
      [&](Rs&... rs) { out = std::make_tuple(rs...); },
      [&](caf::error& e) { ADD_FAILURE() << "request failed: " << self->system().render(e); });
  return out;
}

class deterministic_system {
 public:
  explicit deterministic_system(system_settings s, const catalog_data& c = demo_catalog())
      : sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {
    if (s.epoch_at_start == 0) s.epoch_at_start = onsale_epoch_us;
    if (s.seed == 0) s.seed = 42;
    handles_ = spawn_system(sys_, s, c);
    sched_.run();
  }
  ~deterministic_system() {
    stop_system(handles_);
    sched_.run();
  }

  /// Sends one request and returns its reply as a tuple; an error fails the test.
  template <class... Rs, class Handle, class... Ts>
  std::tuple<Rs...> ask(const Handle& dest, Ts&&... xs) {
    return ask_and_run<Rs...>(self_, sched_, dest, std::forward<Ts>(xs)...);
  }

  /// Moves virtual time forward in steps of at most `step`, running every due timer.
  void advance(caf::timespan d, caf::timespan step = std::chrono::seconds(1)) {
    while (d.count() > 0) {
      auto s = std::min(d, step);
      sched_.advance_time(s);
      sched_.run();
      d -= s;
    }
  }

  time_us now() { return handles_.clock.now(sys_.clock()); }
  const system_handles& handles() const { return handles_; }
  caf::actor_system& sys() { return sys_; }
  caf::scheduler::test_coordinator& sched() { return sched_; }

 private:
  deterministic_config cfg_;
  caf::actor_system sys_{cfg_};
  caf::scheduler::test_coordinator& sched_;
  caf::scoped_actor self_{sys_};
  system_handles handles_;
};

}  // namespace concert::testing
