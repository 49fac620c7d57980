// The scenario parser: one statement per line, tokens split by blanks, `#` starts a
// comment. Errors name the line, so a typo in a scenario is found at once.

#include "simulation/scenario.hpp"

#include <cctype>
#include <sstream>

namespace concert::sim {

namespace {

std::vector<std::string> tokens_of(std::string line) {
  if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
  std::istringstream in{line};
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

bool to_u64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

/// "300s", "1500ms", "5m", "1h"; with a leading '+', relative to `prev`.
bool to_time(const std::string& s, time_us prev, time_us& out) {
  std::string t = s;
  const bool relative = !t.empty() && t[0] == '+';
  if (relative) t.erase(0, 1);
  size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  uint64_t n = 0;
  if (!to_u64(t.substr(0, digits), n)) return false;
  const std::string unit = t.substr(digits);
  time_us us = 0;
  if (unit == "ms")
    us = static_cast<time_us>(n) * 1000;
  else if (unit == "s")
    us = seconds_us(static_cast<int64_t>(n));
  else if (unit == "m")
    us = seconds_us(static_cast<int64_t>(n) * 60);
  else if (unit == "h")
    us = seconds_us(static_cast<int64_t>(n) * 3600);
  else
    return false;
  out = relative ? prev + us : us;
  return true;
}

struct step_name {
  const char* word;
  step_kind kind;
};

constexpr step_name step_names[] = {
    {"token", step_kind::token},         {"poll", step_kind::poll},
    {"leave", step_kind::leave},         {"concerts", step_kind::concerts},
    {"schedules", step_kind::schedules}, {"seats", step_kind::seats},
    {"hold", step_kind::hold},           {"pay", step_kind::pay},
    {"charge", step_kind::charge},       {"balance", step_kind::balance},
    {"history", step_kind::history},     {"reservation", step_kind::reservation},
};

/// Reads `word NUMBER` pairs (and `as NAME` / `key K`) after the step word.
class arg_reader {
 public:
  arg_reader(const std::vector<std::string>& t, size_t i, size_t end) : t_(t), i_(i), end_(end) {}
  bool number(const char* word, uint64_t& out) {
    if (i_ + 1 >= end_ || t_[i_] != word || !to_u64(t_[i_ + 1], out)) return false;
    i_ += 2;
    return true;
  }
  bool text(const char* word, std::string& out) {
    if (i_ + 1 >= end_ || t_[i_] != word) return false;
    out = t_[i_ + 1];
    i_ += 2;
    return true;
  }
  bool flag(const char* word) {
    if (i_ >= end_ || t_[i_] != word) return false;
    ++i_;
    return true;
  }
  bool bare(std::string& out) {
    if (i_ >= end_) return false;
    out = t_[i_++];
    return true;
  }
  bool bare_number(uint64_t& out) { return i_ < end_ && to_u64(t_[i_++], out); }
  bool at_end() const { return i_ == end_; }

 private:
  const std::vector<std::string>& t_;
  size_t i_, end_;
};

bool parse_args(step_kind k, arg_reader& r, scenario_step& st) {
  uint64_t a = 0, b = 0;
  switch (k) {
    case step_kind::schedules:
      if (!r.number("concert", a)) return false;
      st.concert = a;
      break;
    case step_kind::seats:
      if (!r.number("schedule", a)) return false;
      st.schedule = a;
      break;
    case step_kind::hold:
      if (!r.number("schedule", a) || !r.number("seat", b)) return false;
      st.schedule = a;
      st.seat = static_cast<seat_no>(b);
      r.text("as", st.name);
      break;
    case step_kind::pay:
      if (!r.bare(st.name)) return false;
      r.text("key", st.key);
      st.twice = r.flag("twice");
      break;
    case step_kind::reservation:
      if (!r.bare(st.name)) return false;
      break;
    case step_kind::charge:
      if (!r.bare_number(a)) return false;
      st.amount = static_cast<points>(a);
      break;
    default:
      break;
  }
  return r.at_end();
}

bool parse_expectation(const std::vector<std::string>& t, size_t i, step_kind k, expectation& e) {
  if (i >= t.size()) return false;
  e.outcome = t[i++];
  const bool flags = k == step_kind::token || k == step_kind::poll;
  while (i < t.size()) {
    const std::string& name = t[i++];
    if (flags && (name == "active" || name == "waiting")) {
      e.fields.emplace_back(name, "");
      continue;
    }
    if (i >= t.size()) return false;
    e.fields.emplace_back(name, t[i++]);
  }
  return true;
}

/// `at TIME (user U STEP ARGS | seat schedule S seat N | gate) [-> EXPECT]`
bool parse_at(const std::vector<std::string>& t, time_us prev, scenario_step& st,
              std::string& why) {
  size_t arrow = t.size();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i] == "->") arrow = i;
  if (t.size() < 3 || !to_time(t[1], prev, st.at)) return why = "bad time", false;
  if (st.at < prev) return why = "time runs backwards", false;
  size_t i = 2;
  uint64_t n = 0;
  if (t[i] == "seat") {
    st.kind = step_kind::seat;
    arg_reader r{t, i + 1, arrow};
    uint64_t s = 0;
    if (!r.number("schedule", s) || !r.number("seat", n) || !r.at_end())
      return why = "expected: seat schedule S seat N", false;
    st.schedule = s;
    st.seat = static_cast<seat_no>(n);
  } else if (t[i] == "gate") {
    st.kind = step_kind::gate;
    if (arrow != i + 1) return why = "gate takes no arguments", false;
  } else {
    if (t[i] != "user" || i + 2 >= arrow || !to_u64(t[i + 1], n) || n == 0)
      return why = "expected: user U STEP", false;
    st.user = n;
    const std::string& word = t[i + 2];
    bool known = false;
    for (const auto& s : step_names)
      if (word == s.word) {
        st.kind = s.kind;
        known = true;
      }
    if (!known) return why = "unknown step '" + word + "'", false;
    arg_reader r{t, i + 3, arrow};
    if (!parse_args(st.kind, r, st)) return why = "bad arguments for " + word, false;
  }
  if (arrow < t.size()) {
    st.has_expectation = true;
    if (!parse_expectation(t, arrow + 1, st.kind, st.expect))
      return why = "bad expectation after ->", false;
  }
  return true;
}

bool parse_catalog(const std::vector<std::string>& t, scenario& out) {
  if (t.size() == 2 && t[1] == "demo") {
    out.demo_catalog = true;
    return true;
  }
  uint64_t c = 0, s = 0, n = 0;
  if (t.size() != 5 || t[1] != "synthetic" || !to_u64(t[2], c) || !to_u64(t[3], s) ||
      !to_u64(t[4], n) || c == 0 || s == 0 || n == 0)
    return false;
  out.demo_catalog = false;
  out.concerts = static_cast<uint32_t>(c);
  out.schedules_per_concert = static_cast<uint32_t>(s);
  out.seats_per_schedule = static_cast<uint32_t>(n);
  return true;
}

}  // namespace

bool parse_scenario(const std::string& text, scenario& out, std::string& err) {
  std::istringstream in{text};
  std::string line;
  time_us prev = 0;
  for (int no = 1; std::getline(in, line); ++no) {
    auto t = tokens_of(line);
    if (t.empty()) continue;
    std::string why;
    if (t[0] == "config") {
      if (t.size() != 3)
        why = "expected: config KNOB VALUE";
      else
        out.config.emplace_back(t[1], t[2]);
    } else if (t[0] == "catalog") {
      if (!parse_catalog(t, out)) why = "expected: catalog demo | catalog synthetic C S N";
    } else if (t[0] == "at") {
      scenario_step st;
      st.line = no;
      if (parse_at(t, prev, st, why)) {
        prev = st.at;
        out.steps.push_back(std::move(st));
      }
    } else {
      why = "unknown statement '" + t[0] + "'";
    }
    if (!why.empty()) {
      err = "line " + std::to_string(no) + ": " + why;
      return false;
    }
  }
  return true;
}

}  // namespace concert::sim
