// Route matching by segments. Linear over sixteen rows: simpler than a trie and far
// below the cost of parsing the request that precedes it.
#include "http/routes.hpp"

#include <charconv>
#include <limits>

namespace concert::http {
namespace {

bool is_param(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

/// Next '/'-separated segment of `rest` (which starts after a '/'); advances `rest`.
std::string_view next_segment(std::string_view& rest) {
  auto slash = rest.find('/');
  auto seg = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  return seg;
}

/// Matches one template; fills `params` on success. Empty segments never match, so
/// trailing or doubled slashes are 404 rather than aliases.
bool match_template(std::string_view tmpl, std::string_view path,
                    std::vector<std::string_view>& params) {
  if (path.empty() || path.front() != '/') return false;
  tmpl.remove_prefix(1);
  path.remove_prefix(1);
  params.clear();
  bool more_t = true, more_p = true;
  while (more_t && more_p) {
    more_t = tmpl.find('/') != std::string_view::npos;
    more_p = path.find('/') != std::string_view::npos;
    auto t = next_segment(tmpl);
    auto p = next_segment(path);
    if (p.empty()) return false;
    if (is_param(t))
      params.push_back(p);
    else if (t != p)
      return false;
  }
  return more_t == more_p;
}

}  // namespace

const route_def& route_of(route_id id) {
  for (const auto& r : route_table)
    if (r.id == id) return r;
  return route_table.front();  // unreachable: every id has a row (routes_test checks)
}

route_match match_route(std::string_view method, std::string_view path) {
  route_match m;
  std::vector<std::string_view> params;
  for (const auto& r : route_table) {
    if (!match_template(r.path, path, params)) continue;
    if (r.method == method) {
      m.route = &r;
      m.params = params;
      m.allow.clear();
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += r.method;
  }
  return m;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::optional<uint64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 19 || text.front() == '0') return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return v;
}

std::optional<bool> parse_all_flag(std::string_view query) {
  std::optional<bool> flag;
  bool seen = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (key != "all") continue;
    if (seen) return std::nullopt;  // all=true&all=false: refuse to guess
    seen = true;
    auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (value == "true")
      flag = true;
    else if (value == "false")
      flag = false;
    else
      return std::nullopt;
  }
  return seen ? flag : std::optional<bool>{false};
}

}  // namespace concert::http
