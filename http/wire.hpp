// The one translation from a parsed Beast request to the pure layer's request_in, shared
// by the server and the fuzz target so both exercise exactly the same path. Views only:
// the request must outlive the result.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

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

}  // namespace concert::http
