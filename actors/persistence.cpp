// Recovery from the store: catalog and layout first (everything else is numbered by
// them), then every stored seat state laid over fresh blocks, then the queue tokens,
// then the open payment intents settled against those seats, the stored wallets and
// the tokens (a payer's active token ends with its payment).
// Writes made here (a new catalog, a settled intent) are synced before anything starts.
#include "actors/persistence.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "actors/record_codec.hpp"
#include "storage/keys.hpp"

namespace concert {

namespace {

status corrupt(std::string what) { return {store_errc::corrupt, std::move(what)}; }

void sort_by_id(catalog_data& c) {
  std::sort(c.concerts.begin(), c.concerts.end(),
            [](const concert_info& a, const concert_info& b) { return a.id < b.id; });
  std::sort(c.schedules.begin(), c.schedules.end(),
            [](const schedule_def& a, const schedule_def& b) { return a.id < b.id; });
}

result<catalog_data> read_catalog(const store& db) {
  catalog_data c;
  std::string bad;
  auto st = db.scan(family::catalog, {}, [&](std::string_view k, std::string_view v) {
    if (auto id = keys::decode_concert(k)) {
      auto info = records::decode_concert(v, *id);
      if (info)
        c.concerts.push_back(std::move(*info));
      else
        bad = "concert " + std::to_string(*id);
    } else if (auto sid = keys::decode_schedule(k)) {
      auto def = records::decode_schedule(v, *sid);
      if (def)
        c.schedules.push_back(std::move(*def));
      else
        bad = "schedule " + std::to_string(*sid);
    } else {
      bad = "an unknown catalog key";
    }
    return bad.empty();
  });
  if (!st.ok()) return st;
  if (!bad.empty()) return corrupt("stored catalog: cannot decode " + bad);
  sort_by_id(c);
  return c;
}

status write_catalog(store& db, const catalog_data& c, uint32_t seats_per_block) {
  write_batch b;
  for (const auto& k : c.concerts)
    b.put(family::catalog, keys::encode_concert(k.id), records::encode_concert(k));
  for (const auto& s : c.schedules)
    b.put(family::catalog, keys::encode_schedule(s.id), records::encode_schedule(s));
  b.put(family::meta, std::string{records::layout_key}, records::encode_layout({seats_per_block}));
  return db.apply(b, /*sync=*/true);
}

/// The block holding each schedule's seats: index of its first block in block order.
std::map<schedule_id, size_t> first_blocks(const std::vector<seat_block_snapshot>& blocks) {
  std::map<schedule_id, size_t> out;
  for (size_t i = 0; i < blocks.size(); ++i) out.emplace(blocks[i].params.schedule, i);
  return out;
}

/// Lays every stored seat state over the fresh blocks.
status apply_seat_records(const store& db, std::vector<seat_block_snapshot>& blocks,
                          uint32_t seats_per_block, uint64_t& applied) {
  auto firsts = first_blocks(blocks);
  std::string bad;
  auto st = db.scan(family::seats, {}, [&](std::string_view k, std::string_view v) {
    auto key = keys::decode_seat(k);
    auto f = key ? firsts.find(key->schedule) : firsts.end();
    if (f == firsts.end() || key->seat == 0) {
      bad = "a seat record of no schedule in the catalog";
      return false;
    }
    auto index = f->second + (key->seat - 1) / seats_per_block;
    if (index >= blocks.size() || blocks[index].params.schedule != key->schedule) {
      bad = "seat " + std::to_string(key->seat) + " of schedule " + std::to_string(key->schedule);
      return false;
    }
    auto& b = blocks[index];
    auto& seat = b.seats[key->seat - b.params.first_seat];
    auto rec = records::decode_seat(v, seat.seat, seat.price);
    if (!rec) {
      bad = "the state of seat " + std::to_string(key->seat) + " of schedule " +
            std::to_string(key->schedule);
      return false;
    }
    seat = *rec;
    ++applied;
    return true;
  });
  if (!st.ok()) return st;
  if (!bad.empty()) return corrupt("stored seats: cannot use " + bad);
  return {};
}

/// The seat carrying `rid` in its block, or nullptr.
seat_record* seat_of(std::vector<seat_block_snapshot>& blocks, reservation_id rid) {
  auto b = block_of(rid);
  if (b == 0 || b > blocks.size()) return nullptr;
  for (auto& s : blocks[b - 1].seats)
    if (s.rid == rid) return &s;
  return nullptr;
}

/// The stored wallets recovery touches, each read once and written once at the end.
class wallet_cache {
 public:
  explicit wallet_cache(const store& db) : db_(db) {}

  /// The wallet of `user` (nullptr when it has none); an error when it cannot be read.
  result<wallet*> get(user_id user) {
    auto i = wallets_.find(user);
    if (i != wallets_.end()) return i->second ? &*i->second : nullptr;
    auto stored = db_.get(family::wallets, keys::encode_wallet(user));
    if (!stored.ok()) return stored.error();
    std::optional<wallet> w;
    if (stored.value()) {
      w = wallet::decode(*stored.value());
      if (!w || w->user() != user)
        return corrupt("the wallet of user " + std::to_string(user) + " does not decode");
    }
    auto& slot = wallets_[user] = std::move(w);
    return slot ? &*slot : nullptr;
  }
  void changed(user_id user) { changed_.insert(user); }
  /// Puts every changed wallet into `b`.
  void write(write_batch& b) const {
    for (auto u : changed_)
      if (const auto& w = wallets_.at(u))
        b.put(family::wallets, keys::encode_wallet(u), w->encode());
  }

 private:
  const store& db_;
  std::map<user_id, std::optional<wallet>> wallets_;
  std::set<user_id> changed_;
};

/// Settles one open intent into `b` (see recover_state). Adds the user to `paid` when
/// the payment stands (sold now or before).
status settle_intent(std::vector<seat_block_snapshot>& blocks, wallet_cache& wallets,
                     reservation_id rid, const records::intent& in, time_us now, write_batch& b,
                     recovery_report& report, std::set<user_id>& paid) {
  b.erase(family::intents, keys::encode_intent(rid));
  auto w = wallets.get(in.user);
  if (!w.ok()) return w.error();
  if (w.value() == nullptr || !w.value()->debited(rid)) {
    ++report.intents_dropped;  // nothing was debited: the intent alone goes
    return {};
  }
  wallet& wal = *w.value();
  wallets.changed(in.user);
  auto* seat = seat_of(blocks, rid);
  bool ours = seat != nullptr && seat->owner == in.user;
  if (ours && seat->status == seat_status::sold) {
    ++report.intents_sold;
  } else if (ours && (seat->status == seat_status::paying || seat->status == seat_status::held)) {
    seat->status = seat_status::sold;  // the debit is durable: the sale goes through
    seat->pay_deadline = 0;
    b.put(family::seats, keys::encode_seat(blocks[block_of(rid) - 1].params.schedule, seat->seat),
          records::encode_seat(*seat));
    ++report.intents_completed;
  } else {
    wal.void_debit(rid, now);
    ++report.intents_refunded;
    return {};
  }
  wal.complete_recovered(rid, in.idem_key);
  paid.insert(in.user);
  return {};
}

/// The running system ends a payer's active token right after the sale; a crash can come
/// between the two. Ends those tokens here, in the batch that closes the intents, so a
/// recovered payment frees its slot at once instead of at the token's TTL. A WAITING
/// token is a new place in line the user asked for later, and stays.
void end_paid_tokens(const std::set<user_id>& paid, gate_recovery& gate, write_batch& b,
                     recovery_report& report) {
  auto ends = [&](const line_token& t) { return t.active && paid.count(t.user) != 0; };
  for (const auto& t : gate.tokens) {
    if (!ends(t)) continue;
    b.erase(family::gate, keys::encode_gate_token(t.seq));
    ++report.tokens_ended;
  }
  gate.tokens.erase(std::remove_if(gate.tokens.begin(), gate.tokens.end(), ends),
                    gate.tokens.end());
}

/// Settles every open intent in one synced batch: all of them or, after a crash right
/// here, none (the next start settles them again from the same records).
status settle_intents(store& db, std::vector<seat_block_snapshot>& blocks, gate_recovery& gate,
                      time_us now, recovery_report& report) {
  std::vector<std::pair<reservation_id, records::intent>> open;
  std::string bad;
  auto st = db.scan(family::intents, {}, [&](std::string_view k, std::string_view v) {
    auto rid = keys::decode_intent(k);
    auto in = records::decode_intent(v);
    if (!rid || !in) {
      bad = "an open payment intent";
      return false;
    }
    open.emplace_back(*rid, std::move(*in));
    return true;
  });
  if (!st.ok()) return st;
  if (!bad.empty()) return corrupt("stored intents: cannot decode " + bad);
  if (open.empty()) return {};
  wallet_cache wallets{db};
  write_batch b;
  std::set<user_id> paid;
  for (const auto& [rid, in] : open)
    if (auto s = settle_intent(blocks, wallets, rid, in, now, b, report, paid); !s.ok()) return s;
  wallets.write(b);
  end_paid_tokens(paid, gate, b, report);
  return db.apply(b, true);
}

result<gate_recovery> read_gate(const store& db) {
  gate_recovery g;
  std::string bad;
  auto st = db.scan(family::gate, {}, [&](std::string_view k, std::string_view v) {
    auto seq = keys::decode_gate_token(k);
    auto t = records::decode_gate_token(v);
    if (!seq || !t) {
      bad = "a queue token";
      return false;
    }
    g.tokens.push_back({*seq, t->user, t->active, t->admitted_at});
    return true;
  });
  if (!st.ok()) return st;
  if (!bad.empty()) return corrupt("stored gate: cannot decode " + bad);
  auto next = db.get(family::meta, keys::encode_counter(records::gate_seq_counter));
  if (!next.ok()) return next.error();
  if (next.value()) {
    auto v = keys::get_be64(*next.value());
    if (!v || next.value()->size() != 8) return corrupt("stored gate: bad sequence counter");
    g.next_seq = *v;
  }
  return g;
}

}  // namespace

archive_read store_wallet_archive::load(user_id user) {
  auto r = db_->get(family::wallets, keys::encode_wallet(user));
  if (!r.ok()) return {std::nullopt, r.error().to_string()};
  return {std::move(r.value()), {}};
}

result<catalog_data> load_or_create_catalog(store& db, const std::optional<catalog_data>& initial,
                                            uint32_t seats_per_block) {
  auto layout = db.get(family::meta, std::string{records::layout_key});
  if (!layout.ok()) return layout.error();
  auto stored = read_catalog(db);
  if (!stored.ok()) return stored;
  bool empty = stored.value().concerts.empty() && stored.value().schedules.empty();
  if (empty && !layout.value()) {
    if (!initial)
      return status{store_errc::invalid,
                    "the data directory " + db.dir() +
                        " holds no catalog: start with --demo-catalog to create the demo one"};
    auto c = *initial;
    if (auto problem = validate(c); !problem.empty())
      return status{store_errc::invalid, "invalid catalog: " + problem};
    sort_by_id(c);
    if (auto st = write_catalog(db, c, seats_per_block); !st.ok()) return st;
    return c;
  }
  auto l = layout.value() ? records::decode_layout(*layout.value()) : std::nullopt;
  if (!l) return corrupt("the stored catalog has no readable seat layout");
  if (l->seats_per_block != seats_per_block)
    return status{store_errc::invalid,
                  "the data directory was made with " + std::to_string(l->seats_per_block) +
                      " seats per block, not " + std::to_string(seats_per_block) +
                      " (reservation ids depend on it)"};
  if (auto problem = validate(stored.value()); !problem.empty())
    return corrupt("stored catalog: " + problem);
  return stored;
}

result<std::array<uint8_t, 32>> load_or_create_token_key(store& db,
                                                         const std::array<uint8_t, 32>& fresh) {
  auto r = db.get(family::meta, keys::token_key);
  if (!r.ok()) return r.error();
  std::array<uint8_t, 32> key{};
  if (r.value()) {
    if (r.value()->size() != key.size()) return corrupt("the stored token key has a bad size");
    std::copy(r.value()->begin(), r.value()->end(), key.begin());
    return key;
  }
  write_batch b;
  b.put(family::meta, std::string{keys::token_key}, std::string(fresh.begin(), fresh.end()));
  if (auto st = db.apply(b, true); !st.ok()) return st;
  return fresh;
}

result<recovered_state> recover_state(store& db, const catalog_data& catalog,
                                      const seats_config& seats, time_us now) {
  recovered_state out;
  std::vector<seat_block_snapshot> snaps;
  {
    auto fresh = catalog_blocks(catalog, seats);
    snaps.reserve(fresh.size());
    for (const auto& b : fresh) snaps.push_back(b.snapshot());
  }
  if (auto st = apply_seat_records(db, snaps, seats.seats_per_block, out.report.seat_records);
      !st.ok())
    return st;
  auto gate = read_gate(db);
  if (!gate.ok()) return gate.error();
  out.gate = std::move(gate.value());
  if (auto st = settle_intents(db, snaps, out.gate, now, out.report); !st.ok()) return st;
  out.blocks.reserve(snaps.size());
  for (auto& s : snaps) out.blocks.emplace_back(with_records(std::move(s), {}));
  out.report.gate_tokens = out.gate.tokens.size();
  return out;
}

}  // namespace concert
