// Blocking on top of asynchronous Beast: each operation is started asynchronously and
// the client's private io_context runs for at most the timeout.
#include "http/client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace concert::http {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}
}  // namespace

nlohmann::json client_response::json() const { return nlohmann::json::parse(body, nullptr, false); }

std::string client_response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

struct client::impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  uint16_t port;
  std::chrono::milliseconds timeout;

  /// Runs the io_context until `done` or the timeout; throws on timeout.
  void run(const bool& done, const char* what) {
    ioc.restart();
    ioc.run_for(timeout);
    if (!done) {
      stream.reset();
      ioc.restart();
      ioc.poll();  // let the cancelled operation's handler finish
      throw std::runtime_error(std::string("client timeout: ") + what);
    }
  }

  void connect() {
    if (stream) return;
    stream.emplace(ioc);
    buffer.clear();
    bool done = false;
    beast::error_code err;
    stream->async_connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
                          [&](beast::error_code ec) { err = ec, done = true; });
    run(done, "connect");
    if (err) {
      stream.reset();
      throw std::runtime_error("client connect: " + err.message());
    }
  }

  void write(std::string_view bytes) {
    connect();
    bool done = false;
    beast::error_code err;
    net::async_write(*stream, net::buffer(bytes.data(), bytes.size()),
                     [&](beast::error_code ec, size_t) { err = ec, done = true; });
    run(done, "write");
    if (err) throw std::runtime_error("client write: " + err.message());
  }

  client_response read() {
    connect();
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bool done = false;
    beast::error_code err;
    bhttp::async_read(*stream, buffer, parser,
                      [&](beast::error_code ec, size_t) { err = ec, done = true; });
    run(done, "read");
    if (err) {
      stream.reset();
      throw std::runtime_error("client read: " + err.message());
    }
    auto msg = parser.release();
    client_response r;
    r.status = msg.result_int();
    for (const auto& f : msg)
      r.headers[lower({f.name_string().data(), f.name_string().size()})] = std::string(f.value());
    r.body = std::move(msg.body());
    r.keep_alive = msg.keep_alive();
    if (!r.keep_alive) stream.reset();
    return r;
  }
};

client::client(uint16_t port, std::chrono::milliseconds timeout) : impl_(std::make_unique<impl>()) {
  impl_->port = port;
  impl_->timeout = timeout;
}

client::~client() = default;

client_response client::request(std::string_view method, std::string_view target,
                                std::string_view body, const header_list& headers) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  if (!body.empty() || method == "POST") req.prepare_payload();
  std::ostringstream os;
  os << req;
  impl_->write(os.str());
  return impl_->read();
}

void client::send_raw(std::string_view bytes) { impl_->write(bytes); }

client_response client::read_response() { return impl_->read(); }

client_response client::raw(std::string_view bytes) {
  send_raw(bytes);
  return read_response();
}

bool client::closed_by_server(std::chrono::milliseconds within, std::string* received) {
  impl_->connect();
  auto deadline = std::chrono::steady_clock::now() + within;
  std::array<char, 4096> scratch{};
  while (std::chrono::steady_clock::now() < deadline) {
    bool done = false;
    beast::error_code err;
    size_t got = 0;
    impl_->stream->async_read_some(net::buffer(scratch), [&](beast::error_code ec, size_t n) {
      err = ec, got = n, done = true;
    });
    impl_->ioc.restart();
    impl_->ioc.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!done) {
      impl_->stream.reset();
      impl_->ioc.restart();
      impl_->ioc.poll();
      return false;
    }
    if (received) received->append(scratch.data(), got);
    if (err) {
      impl_->stream.reset();
      return true;
    }
  }
  return false;
}

void client::disconnect() { impl_->stream.reset(); }

}  // namespace concert::http
