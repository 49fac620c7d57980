// The one translation from a parsed Beast request to the pure layer's request_in, shared
// by the server and the fuzz target so both exercise exactly the same path (views only:
// the request must outlive the result), and of a response_out to its bytes on the wire.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

#include "http/problem.hpp"
#include "http/request.hpp"

namespace concert::http {

inline std::string_view to_std(boost::beast::string_view s) { return {s.data(), s.size()}; }

/// A header by name: its first value and how often it occurs.
inline header_value header_of(
    const boost::beast::http::request<boost::beast::http::string_body>& req,
    std::string_view name) {
  boost::beast::string_view n(name.data(), name.size());
  header_value h;
  h.count = static_cast<unsigned>(req.count(n));
  auto it = req.find(n);
  if (it != req.end()) h.value = to_std(it->value());
  return h;
}

/// The parts of `req` the API reads.
inline request_in view_of(const boost::beast::http::request<boost::beast::http::string_body>& req) {
  request_in in;
  in.method = to_std(req.method_string());
  in.target = to_std(req.target());
  in.authorization = header_of(req, "Authorization");
  in.idempotency_key = header_of(req, "Idempotency-Key");
  in.body = req.body();
  return in;
}

/// The bytes of `r` as an HTTP/1.`version` response (version 10 or 11) into `out`: the
/// status line, Server, Content-Type, the extra headers, Content-Length (none for 1xx,
/// 204 and 304, as Beast's prepare_payload), Connection where it differs from the
/// version's default, and the body (none for HEAD, whose Content-Length still counts
/// it). Written straight into one buffer: Beast's field list and serializer cost as much
/// as the rest of a poll's work on the io thread.
inline void serialize_response(std::string& out, const response_out& r, unsigned version,
                               bool keep_alive, bool head) {
  namespace bhttp = boost::beast::http;
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
  out.clear();
  out.reserve(160 + r.body.size());
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\nServer: concertd";
  if (!r.content_type.empty()) {
    out += "\r\nContent-Type: ";
    out += r.content_type;
  }
  for (const auto& [name, value] : r.headers) {
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  if (!bodiless) {
    out += "\r\nContent-Length: ";
    out += std::to_string(r.body.size());
  }
  if (version == 10 && keep_alive) out += "\r\nConnection: keep-alive";
  if (version != 10 && !keep_alive) out += "\r\nConnection: close";
  out += "\r\n\r\n";
  if (!head && !bodiless) out += r.body;
}

}  // namespace concert::http
