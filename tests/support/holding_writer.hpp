// A store writer that acknowledges nothing until the test releases its writes, so a
// test on the deterministic scheduler sees which replies wait for a write's fsync.
// Promises must be delivered inside the actor, so the writer's internal flush message is
// the test's button: `release(writer)` acks every held write, `release(writer, true)`
// fails them.
#pragma once

#include <caf/all.hpp>

#include <memory>
#include <string>
#include <vector>

#include "storage/store_actor.hpp"

namespace concert::testing {

struct held_writes {
  std::vector<caf::typed_response_promise<uint64_t>> waiting;
  std::vector<write_batch> batches;  ///< every batch received, in order
};

inline store_actor::behavior_type holding_writer(store_actor::pointer self,
                                                 std::shared_ptr<held_writes> held) {
  return {
      [=](write_atom, const write_batch& b) {
        held->batches.push_back(b);
        held->waiting.push_back(self->make_response_promise<uint64_t>());
        return held->waiting.back();
      },
      [](caf::get_atom, family, const std::string&) { return caf::make_result(false, ""); },
      [](stats_atom) { return store_stats{}; },
      [=](flush_atom, uint64_t fail) {
        for (auto& rp : held->waiting) {
          if (fail != 0)
            rp.deliver(make_error(store_errc::io, "injected"));
          else
            rp.deliver(uint64_t{1});
        }
        held->waiting.clear();
      },
  };
}

/// Acks (or fails) every write `writer` holds; run the scheduler afterwards.
inline void release(const store_actor& writer, bool fail = false) {
  caf::anon_send(writer, flush_atom::value, uint64_t{fail ? 1u : 0u});
}

}  // namespace concert::testing
