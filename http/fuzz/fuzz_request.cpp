// libFuzzer target over everything a client controls before an actor is asked: raw
// bytes through Beast's request parser with the server's limits, then routing, token
// and header checks and strict JSON decoding (parse_request), then problem rendering.
// The same bytes are also tried as the JSON body of every route that takes one.
// Invariants checked: no crash, no sanitizer report, and every refusal is a 4xx
// problem+json document with a code; every accepted request names its route.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request.hpp"
#include "http/wire.hpp"

namespace {

using namespace concert::http;
namespace bhttp = boost::beast::http;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_result(const parse_result& r) {
  if (r.cmd) {
    check(r.route != nullptr);
    check(r.cmd->route == r.route->id);
    check(r.route->auth == guard::none || !r.cmd->token.empty());
    return;
  }
  check(r.rejection.status >= 400 && r.rejection.status < 500);
  check(r.rejection.content_type == "application/problem+json");
  auto j = nlohmann::json::parse(r.rejection.body, nullptr, false);
  check(j.is_object() && j.contains("code") && j["status"] == r.rejection.status);
}

/// The bytes as one HTTP request, parsed as the server parses it.
void fuzz_wire(std::string_view bytes) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  parser.header_limit(16 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  auto buf = boost::asio::buffer(bytes.data(), bytes.size());
  size_t used = parser.put(buf, ec);
  while (!ec && !parser.is_done() && used < bytes.size()) {
    size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (n == 0) break;
    used += n;
  }
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return;
  check_result(parse_request(view_of(parser.get())));
}

/// The bytes as the body of each route that reads one.
void fuzz_bodies(std::string_view bytes) {
  static const char* const targets[] = {"/api/v1/queue/tokens", "/api/v1/reservations",
                                        "/api/v1/payments", "/api/v1/users/7/points/charge"};
  for (const char* target : targets) {
    request_in in;
    in.method = "POST";
    in.target = target;
    in.authorization = {"Bearer abc", 1};
    in.body = bytes;
    check_result(parse_request(in));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz_wire(bytes);
  fuzz_bodies(bytes);
  return 0;
}
