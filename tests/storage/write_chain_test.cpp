// The write chain of one actor against the group-commit store on CAF's test scheduler:
// continuations run in the order their commits were made, an empty commit (a read) waits
// for every write before it, and a chain that never drains (commits made from inside
// continuations) keeps that order across the compaction of its pending list.
#include "actors/write_chain.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace concert;

namespace {

/// A store that keeps what it was given; every apply succeeds.
class memory_kv : public kv_store {
 public:
  status apply(const write_batch& b, bool) override {
    for (const auto& op : b.ops) data[op.key] = op.value;
    return {};
  }
  result<std::optional<std::string>> get(family, std::string_view key) const override {
    auto i = data.find(std::string(key));
    if (i == data.end()) return std::optional<std::string>{};
    return std::optional<std::string>{i->second};
  }
  std::map<std::string, std::string> data;
};

struct config : caf::actor_system_config {
  config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    add_store_error_category(*this);
  }
};

using run_atom = caf::atom_constant<caf::atom("run")>;

struct owner_state {
  write_chain chain;
  std::shared_ptr<std::vector<int>> order;  ///< continuation ids, in the order they ran
};

write_batch one_put(int id) {
  write_batch b;
  b.put(family::wallets, "k" + std::to_string(id), "v");
  return b;
}

/// Commits write `id`; its continuation records it and, for every tenth id below 1000,
/// commits write id + 1000 from inside the continuation (so the chain never drains).
void commit(caf::stateful_actor<owner_state>* self, int id) {
  self->state.chain.commit(
      self, one_put(id),
      [self, id] {
        self->state.order->push_back(id);
        if (id < 1000 && id % 10 == 0) commit(self, id + 1000);
      },
      [self](const caf::error&) { self->state.order->push_back(-1); });
}

TEST(WriteChain, ContinuationsRunInCommitOrderAcrossCompaction) {
  config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto kv = std::make_shared<memory_kv>();
  auto writer = spawn_store(sys, kv, {});
  auto order = std::make_shared<std::vector<int>>();
  auto owner = sys.spawn([=](caf::stateful_actor<owner_state>* self) -> caf::behavior {
    self->state.chain = write_chain{writer};
    self->state.order = order;
    return {[=](run_atom) {
      for (int id = 0; id < 300; ++id) commit(self, id);
      // A read: runs once every write above is durable, before any write made later.
      self->state.chain.commit(
          self, write_batch{}, [self] { self->state.order->push_back(999); },
          [self](const caf::error&) { self->state.order->push_back(-1); });
    }};
  });
  caf::anon_send(owner, run_atom::value);
  sched.run();

  std::vector<int> expected;
  for (int id = 0; id < 300; ++id) expected.push_back(id);
  expected.push_back(999);
  for (int id = 0; id < 300; id += 10) expected.push_back(id + 1000);
  EXPECT_EQ(*order, expected);
  EXPECT_EQ(kv->data.size(), 330u);
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  sched.run();
}

}  // namespace
