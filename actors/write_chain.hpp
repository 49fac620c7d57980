// The writes of one actor through the group-commit writer (storage/store_actor.hpp), kept
// in order, and the replies that must wait for them: a reply goes out only once the
// record of its command is durable, and a reply that merely reads waits for every write
// sent before it (it may show their effect). Without a writer (simulations, in-memory
// tests) everything runs at once, exactly as before persistence existed.
// Fail-stop: after one failed write every later commit fails with the same error, so an
// effect that did not reach the disk is never shown to anyone.
#pragma once

#include <caf/error.hpp>

#include <functional>
#include <tuple>
#include <utility>
#include <vector>

#include "storage/store_actor.hpp"

namespace concert {

class write_chain {
 public:
  using ok_fn = std::function<void()>;
  using error_fn = std::function<void(const caf::error&)>;

  /// In memory: commit runs its continuation at once and writes nothing.
  write_chain() = default;
  explicit write_chain(store_actor writer) : writer_(std::move(writer)) {}

  /// True when commands are written to a store.
  bool persistent() const { return static_cast<bool>(writer_); }
  /// True after a write failed; `failure()` is the error every later commit gets.
  bool failed() const { return static_cast<bool>(failure_); }
  const caf::error& failure() const { return failure_; }
  /// Writes sent and not acknowledged yet (an actor with any is busy).
  size_t pending() const { return waiting_.size() - head_; }

  /// Sends `batch` to the writer and runs `ok` once it is durable, or `fail` with the
  /// error. An empty batch sends nothing: `ok` runs once every write sent before is
  /// durable (at once when none is pending). After a failure, `fail` runs at once.
  /// REQUIRES: the chain lives in `self`'s state (the replies refer back to it).
  /// The continuations become std::functions only when they have to wait.
  template <class Self, class Ok, class Fail>
  void commit(Self* self, write_batch batch, Ok&& ok, Fail&& fail) {
    if (failed()) {
      fail(failure_);
      return;
    }
    if (!persistent() || (batch.empty() && pending() == 0)) {
      ok();
      return;
    }
    if (batch.empty()) {  // acks arrive in order, so the last write's ack covers all
      waiting_.back().push_back({std::forward<Ok>(ok), std::forward<Fail>(fail)});
      return;
    }
    waiting_.emplace_back();
    waiting_.back().push_back({std::forward<Ok>(ok), std::forward<Fail>(fail)});
    self->request(writer_, caf::infinite, write_atom::value, std::move(batch))
        .then([this](uint64_t) { settle(nullptr); }, [this](caf::error& err) { settle(&err); });
  }

 private:
  struct continuation {
    ok_fn ok;
    error_fn fail;
  };

  /// The oldest pending write was answered: run what waited for it.
  void settle(const caf::error* err) {
    auto steps = std::move(waiting_[head_]);
    if (++head_ == waiting_.size()) {  // drained: reuse the storage from the start
      waiting_.clear();
      head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= waiting_.size()) {  // never drained: compact
      waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    if (err != nullptr && !failed()) failure_ = *err;
    for (auto& s : steps) {
      if (err != nullptr)
        s.fail(*err);
      else
        s.ok();
    }
  }

  store_actor writer_;
  caf::error failure_;
  /// Per write sent, oldest first, from index head_ on. Not a deque: an empty deque
  /// allocates a 512-byte node, and every wallet has a chain.
  std::vector<std::vector<continuation>> waiting_;
  size_t head_ = 0;
};

/// Delivers `values` through `rp` once `batch` and every earlier write of `chain` are
/// durable, or the storage error instead.
template <class Self, class... Ts, class... Vs>
void deliver_durable(Self* self, write_chain& chain, write_batch batch,
                     caf::typed_response_promise<Ts...> rp, Vs... values) {
  chain.commit(
      self, std::move(batch),
      [rp, vals = std::make_tuple(std::move(values)...)]() mutable {
        std::apply([&rp](auto&... xs) { rp.deliver(std::move(xs)...); }, vals);
      },
      [rp](const caf::error& err) mutable { rp.deliver(err); });
}

/// Delivers `values` through `rp` at once, without waiting for the writes still pending
/// (for a caller whose own later write, through the same FIFO writer, covers them), or the
/// storage error after a failure.
template <class... Ts, class... Vs>
void deliver_queued(const write_chain& chain, caf::typed_response_promise<Ts...> rp, Vs... values) {
  if (chain.failed())
    rp.deliver(chain.failure());
  else
    rp.deliver(std::move(values)...);
}

}  // namespace concert
