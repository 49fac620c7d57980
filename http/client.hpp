// A small blocking HTTP/1.1 client over loopback, for the end-to-end tests and tools:
// keep-alive requests, raw bytes for malformed input, and a check that the server
// closed the connection. Every operation has a deadline, so a test never hangs on a
// server that does not answer. Not for production traffic: one request at a time.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace concert::http {

struct client_response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  bool keep_alive = true;

  /// The body parsed as JSON (discarded value when it is not JSON).
  nlohmann::json json() const;
  /// A header by lower-case name, or "".
  std::string header(const std::string& lower_name) const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

class client {
 public:
  explicit client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// One request on the kept-alive connection (reconnecting if the server closed it).
  /// Throws std::runtime_error on timeout or connection failure.
  client_response request(std::string_view method, std::string_view target,
                          std::string_view body = {}, const header_list& headers = {});

  /// Writes raw bytes on the connection (connecting first if needed).
  void send_raw(std::string_view bytes);
  /// Reads one response from the connection.
  client_response read_response();
  /// send_raw then read_response.
  client_response raw(std::string_view bytes);
  /// True when the server closes the connection within `within` (reads and drops any
  /// bytes meanwhile); false when it stays open.
  /// Bytes read meanwhile are appended to `received` when given.
  bool closed_by_server(std::chrono::milliseconds within, std::string* received = nullptr);
  /// Drops the connection; the next request opens a new one.
  void disconnect();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace concert::http
