// CAF glue for the domain vocabulary: the atoms every actor protocol uses and the
// inspect() overloads that let the value types of types.hpp travel in messages (also
// across CAF's middleman, once shards run in other processes).
#pragma once

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/types.hpp"

namespace concert {

// Atoms are values in CAF 0.17: send `issue_atom::value`. At most 10 characters.
using issue_atom = caf::atom_constant<caf::atom("issue")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using check_atom = caf::atom_constant<caf::atom("check")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using end_atom = caf::atom_constant<caf::atom("end")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using concerts_atom = caf::atom_constant<caf::atom("concerts")>;
using schedules_atom = caf::atom_constant<caf::atom("schedules")>;
using seats_atom = caf::atom_constant<caf::atom("seats")>;
using hold_atom = caf::atom_constant<caf::atom("hold")>;
using lock_atom = caf::atom_constant<caf::atom("lock")>;
using sell_atom = caf::atom_constant<caf::atom("sell")>;
using unlock_atom = caf::atom_constant<caf::atom("unlock")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using info_atom = caf::atom_constant<caf::atom("info")>;
using avail_atom = caf::atom_constant<caf::atom("avail")>;
using charge_atom = caf::atom_constant<caf::atom("charge")>;
using balance_atom = caf::atom_constant<caf::atom("balance")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using resv_atom = caf::atom_constant<caf::atom("resv")>;
using pay_atom = caf::atom_constant<caf::atom("pay")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using passiv_atom = caf::atom_constant<caf::atom("passivate")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_view& x) {
  return f(caf::meta::type_name("token_view"), x.token, x.user, x.active, x.position, x.eta_seconds,
           x.next_poll_seconds, x.expires_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, poll_answer& x) {
  return f(caf::meta::type_name("poll_answer"), x.status, x.view);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, concert_info& x) {
  return f(caf::meta::type_name("concert_info"), x.id, x.title, x.performer, x.venue);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_info& x) {
  return f(caf::meta::type_name("schedule_info"), x.id, x.concert, x.starts_at, x.total_seats,
           x.available_seats);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_info& x) {
  return f(caf::meta::type_name("seat_info"), x.seat, x.price, x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reservation& x) {
  return f(caf::meta::type_name("reservation"), x.id, x.user, x.schedule, x.seat, x.price, x.status,
           x.expires_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payment& x) {
  return f(caf::meta::type_name("payment"), x.id, x.reservation, x.user, x.amount, x.balance,
           x.paid_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("history_entry"), x.kind, x.amount, x.balance, x.at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gate_stats& x) {
  return f(caf::meta::type_name("gate_stats"), x.waiting, x.active, x.issued_total,
           x.admitted_total, x.dropped_idle_total, x.expired_active_total, x.ended_total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_stats& x) {
  return f(caf::meta::type_name("seat_stats"), x.available, x.held, x.sold, x.holds_placed_total,
           x.holds_expired_total);
}

}  // namespace concert
