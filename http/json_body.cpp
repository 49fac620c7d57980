// JSON decoding runs in two passes: a SAX pass that checks syntax, depth and duplicate
// keys without building anything, then nlohmann's DOM parse of input known to be
// good. nlohmann's own callback parser cannot see the keys of discarded objects, and
// a duplicate key would otherwise silently keep its last value.
#include "http/json_body.hpp"

#include <set>
#include <vector>

namespace concert::http {
namespace {

using json = nlohmann::json;

/// Syntax, depth and duplicate-key check; any `false` stops the parse.
class strict_sax : public nlohmann::json_sax<json> {
 public:
  std::string problem;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return deeper();
  }
  bool key(string_t& k) override {
    if (keys_.back().insert(k).second) return true;
    problem = "duplicate key in JSON object";
    return false;
  }
  bool end_object() override {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return deeper(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    if (problem.empty()) problem = "body is not valid JSON";
    return false;
  }

 private:
  bool deeper() {
    if (++depth_ <= json_depth_max) return true;
    problem = "JSON nested too deeply";
    return false;
  }
  int depth_ = 0;
  std::vector<std::set<std::string>> keys_;
};

bool is_integer(const json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

}  // namespace

checked<json> parse_object(std::string_view body) {
  // nlohmann stops at a NUL as if the input ended there; JSON never has a raw NUL.
  if (body.find('\0') != std::string_view::npos)
    return rejection{code::invalid_request, "body is not valid JSON"};
  strict_sax sax;
  if (!json::sax_parse(body.begin(), body.end(), &sax, json::input_format_t::json, true, false))
    return rejection{code::invalid_request, sax.problem.empty() ? "bad JSON" : sax.problem};
  auto j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return rejection{code::invalid_request, "body is not valid JSON"};
  if (!j.is_object()) return rejection{code::invalid_request, "body must be a JSON object"};
  return j;
}

checked<uint64_t> positive_field(const json& object, const char* name, uint64_t max) {
  auto it = object.find(name);
  if (it == object.end())
    return rejection{code::invalid_request, std::string(name) + " is required"};
  const auto& v = *it;
  bool positive = (v.is_number_unsigned() && v.get<uint64_t>() >= 1) ||
                  (v.is_number_integer() && v.get<int64_t>() >= 1);
  if (!positive || v.get<uint64_t>() > max)
    return rejection{
        code::invalid_request,
        std::string(name) + " must be a positive integer up to " + std::to_string(max)};
  return v.get<uint64_t>();
}

checked<points> amount_field(const json& object) {
  auto it = object.find("amount");
  if (it == object.end()) return rejection{code::invalid_request, "amount is required"};
  const auto& v = *it;
  if (!v.is_number()) return rejection{code::invalid_request, "amount must be a number"};
  const rejection bad{code::invalid_amount, "amount must be a positive whole number of points"};
  if (!is_integer(v)) return bad;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > uint64_t(INT64_MAX) || v.get<uint64_t>() == 0) return bad;
    return static_cast<points>(v.get<uint64_t>());
  }
  if (v.get<int64_t>() <= 0) return bad;
  return static_cast<points>(v.get<int64_t>());
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/// RFC 7235 token68: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding.
bool is_token68(std::string_view t) {
  size_t i = 0;
  auto is_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  };
  while (i < t.size() && is_char(t[i])) ++i;
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=') ++i;
  return i == t.size();
}

}  // namespace

checked<std::string> bearer_token(header_value authorization) {
  const rejection garbled{code::token_invalid, "expected Authorization: Bearer <token>"};
  if (authorization.count != 1) return garbled;
  auto v = authorization.value;
  auto space = v.find(' ');
  if (space == std::string_view::npos || !iequals(v.substr(0, space), "bearer")) return garbled;
  auto token = v.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.size() > token_chars_max || !is_token68(token)) return garbled;
  return std::string(token);
}

checked<std::string> idempotency_key(header_value key) {
  if (key.count == 0) return std::string{};
  const rejection bad{code::invalid_request,
                      "Idempotency-Key must occur once, 1 to 128 visible ASCII characters"};
  if (key.count > 1 || key.value.empty() || key.value.size() > idempotency_key_chars_max)
    return bad;
  for (char c : key.value)
    if (c < 0x21 || c > 0x7e) return bad;
  return std::string(key.value);
}

}  // namespace concert::http
