// A response's bytes on the wire (wire.hpp): what Beast's serializer wrote before, byte
// for byte in the parts clients read, for every shape the server sends.
#include "http/wire.hpp"

#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

namespace concert::http {
namespace {

namespace bhttp = boost::beast::http;

/// `bytes` parsed back by Beast's own response parser; fails the test on bad HTTP.
bhttp::response<bhttp::string_body> parse(const std::string& bytes, bool head = false) {
  bhttp::response_parser<bhttp::string_body> p;
  p.skip(head);
  boost::beast::error_code ec;
  size_t used = 0;
  while (!ec && !p.is_done() && used < bytes.size())  // the header first, then the body
    used += p.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
  if (!ec && !p.is_done()) p.put_eof(ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << bytes;
  EXPECT_TRUE(p.is_done()) << bytes;
  EXPECT_EQ(used, bytes.size()) << "bytes after the message\n" << bytes;
  return p.release();
}

response_out json_ok() {
  response_out r;
  r.status = 200;
  r.content_type = "application/json; charset=utf-8";
  r.body = R"({"status":"ok"})";
  return r;
}

TEST(Wire, KeepAliveJsonResponseOverHttp11) {
  std::string out;
  serialize_response(out, json_ok(), 11, true, false);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: concertd\r\nContent-Type: application/json; "
            "charset=utf-8\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}");
  auto res = parse(out);
  EXPECT_TRUE(res.keep_alive());
  EXPECT_EQ(res.body(), R"({"status":"ok"})");
}

TEST(Wire, ConnectionHeaderOnlyWhereItDiffersFromTheVersionsDefault) {
  std::string out;
  serialize_response(out, json_ok(), 11, false, false);
  EXPECT_FALSE(parse(out).keep_alive());
  EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos);
  serialize_response(out, json_ok(), 10, true, false);
  EXPECT_EQ(out.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_TRUE(parse(out).keep_alive());
  serialize_response(out, json_ok(), 10, false, false);
  EXPECT_FALSE(parse(out).keep_alive());
  EXPECT_EQ(out.find("Connection"), std::string::npos);
}

TEST(Wire, NoContentHasNoLengthAndNoBody) {
  response_out r;
  r.status = 204;
  std::string out;
  serialize_response(out, r, 11, true, false);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nServer: concertd\r\n\r\n");
  EXPECT_TRUE(parse(out).body().empty());
}

TEST(Wire, HeadAnnouncesTheBodyWithoutSendingIt) {
  std::string out;
  serialize_response(out, json_ok(), 11, true, true);
  EXPECT_NE(out.find("\r\nContent-Length: 15\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
  parse(out, true);
}

TEST(Wire, ExtraHeadersInOrderAndTheStatusReason) {
  response_out r;
  r.status = 503;
  r.content_type = "application/problem+json";
  r.body = "{}";
  r.headers = {{"Retry-After", "1"}, {"WWW-Authenticate", "Bearer"}};
  std::string out;
  serialize_response(out, r, 11, true, false);
  EXPECT_NE(out.find("HTTP/1.1 503 Service Unavailable\r\n"), std::string::npos);
  EXPECT_LT(out.find("Retry-After: 1\r\n"), out.find("WWW-Authenticate: Bearer\r\n"));
  auto res = parse(out);
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(res[bhttp::field::retry_after], "1");
  EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
}

}  // namespace
}  // namespace concert::http
