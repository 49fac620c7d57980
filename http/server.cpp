// Beast server internals: the acceptor (with the connection cap and graceful drain) and
// the per-connection session, written as do_x / on_x pairs like Beast's examples. Each
// session runs on its own strand (or, with a single io thread, on the io_context
// itself); the only cross-thread entry is the responder, which hands the answer back to
// that executor.
#include "http/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>

#include "http/render.hpp"
#include "http/wire.hpp"

namespace concert::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

void log_line(const std::string& line) {
  // One fwrite per line: lines from several io threads do not interleave.
  std::string out = "concertd: " + line + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);
}

/// Methods are labels in metrics; unknown ones collapse so label sets stay bounded.
std::string_view method_label(std::string_view m) {
  for (std::string_view known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
    if (m == known) return known;
  return "OTHER";
}

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

bool iequals(std::string_view a, std::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()),
                        beast::string_view(b.data(), b.size()));
}

}  // namespace

class session;

struct server::state : std::enable_shared_from_this<server::state> {
  state(net::io_context& io, server_options o, metrics& m, command_handler h)
      : ioc(io),
        opts(std::move(o)),
        stats(m),
        handler(std::move(h)),
        acceptor(net::make_strand(io)),
        drain_timer(acceptor.get_executor()) {}

  net::io_context& ioc;
  const server_options opts;
  metrics& stats;
  command_handler handler;  // emptied by release_handler() once no io thread runs
  tcp::acceptor acceptor;
  net::steady_timer drain_timer;  // runs on the acceptor's strand

  std::mutex mu;  // guards the fields below
  std::map<uint64_t, std::weak_ptr<session>> sessions;
  uint64_t next_serial = 0;
  bool draining = false;
  std::function<void()> on_drained;  // emptied when called: runs once
  std::atomic<bool> aborted{false};  // set by abort(): the handler may be gone

  void do_accept(const std::shared_ptr<state>& self);
  void on_accept(const std::shared_ptr<state>& self, beast::error_code ec, tcp::socket socket);
  void refuse_connection(tcp::socket& socket);
  void session_ended(uint64_t serial);
  void finish_drain();
  void force_close_all();
};

// ---------------------------------------------------------------------------------------

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, std::shared_ptr<server::state> st, uint64_t serial)
      : stream_(std::move(socket)), st_(std::move(st)), serial_(serial) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    st_->stats.connection_opened();
  }

  ~session() { finished(); }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read_header(); });
  }

  /// Stop after the current request; an idle connection closes now. On the strand.
  void drain() {
    closing_ = true;
    if (phase_ == phase::reading) stream_.cancel();
  }

  net::any_io_executor get_executor() { return stream_.get_executor(); }

  /// Drain timeout passed: close whatever the connection is doing. On the strand.
  void force_close() {
    closing_ = true;
    beast::error_code ec;
    stream_.socket().close(ec);
    finished();
  }

 private:
  enum class phase { reading, busy, closing };

  void do_read_header() {
    phase_ = phase::reading;
    if (closing_) return do_close();
    parser_.emplace();
    parser_->body_limit(st_->opts.body_bytes_max);
    parser_->header_limit(st_->opts.header_bytes_max);
    stream_.expires_after(st_->opts.idle_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec, false);
    phase_ = phase::busy;
    if (parser_->is_done()) return on_body({});  // no body: skip a read that would only post
    const auto& req = parser_->get();
    auto expect = req.find(bhttp::field::expect);
    if (expect != req.end() && iequals(sv(expect->value()), "100-continue")) {
      continue_ = bhttp::response<bhttp::empty_body>(bhttp::status::continue_, req.version());
      stream_.expires_after(st_->opts.write_timeout);
      return bhttp::async_write(stream_, continue_,
                                [self = shared_from_this()](beast::error_code ec, size_t) {
                                  if (ec) return self->do_close();
                                  self->do_read_body();
                                });
    }
    do_read_body();
  }

  void do_read_body() {
    stream_.expires_after(st_->opts.body_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec) return on_read_error(ec, true);
    stream_.expires_never();  // the responder, not the socket, bounds the wait now
    handle();
  }

  /// A read failed: a limit or bad HTTP earns a problem response and a close; a peer
  /// that went away or an idle keep-alive connection just closes.
  void on_read_error(beast::error_code ec, bool in_body) {
    if (ec == net::error::operation_aborted) return do_close();
    if (ec == bhttp::error::end_of_stream) return do_close();
    if (ec == beast::error::timeout) {
      bool partial = in_body || buffer_.size() > 0 || parser_->got_some();
      if (!partial) return do_close();  // idle keep-alive connection: not a refusal
      reject_log("timeout",
                 in_body ? "slow client, body incomplete" : "slow client, header incomplete");
      return do_close();
    }
    if (ec == bhttp::error::body_limit)
      return refuse(edge_problem::payload_too_large, "body_limit",
                    "body over " + std::to_string(st_->opts.body_bytes_max) + " bytes");
    if (ec == bhttp::error::header_limit)
      return refuse(edge_problem::headers_too_large, "header_limit",
                    "header section over " + std::to_string(st_->opts.header_bytes_max) + " bytes");
    if (is_http_error(ec)) return refuse(edge_problem::malformed_http, "bad_http", ec.message());
    do_close();  // reset, broken pipe, ...
  }

  void reject_log(const char* reason, const std::string& why) {
    st_->stats.reject(reason);
    log_line("rejected " + peer_ + ": " + reason + " (" + why + ")");
  }

  /// Refuses at the connection level: problem response, then close.
  void refuse(edge_problem p, const char* reason, const std::string& why) {
    reject_log(reason, why);
    phase_ = phase::busy;
    keep_alive_ = false;
    head_ = false;
    version_ = 11;
    started_ = steady::now();
    route_label_ = "unmatched";
    method_label_ = "-";
    target_ = "-";
    send(problem(p, why));
  }

  void handle() {
    auto& req = parser_->get();
    started_ = steady::now();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = req.method() == bhttp::verb::head;
    if (st_->opts.access_log) target_.assign(sv(req.target()).substr(0, 200));
    const request_in in = view_of(req);
    auto parsed = parse_request(in);
    route_label_ = parsed.route ? parsed.route->path : "unmatched";
    method_label_ = method_label(in.method);
    if (!parsed.cmd) return send(std::move(parsed.rejection));
    if (st_->aborted || !st_->handler) return send(render_unavailable("the server is stopping"));
    st_->handler(std::move(*parsed.cmd), [self = shared_from_this()](response_out r) {
      // Inline when already on the connection's executor (a batch of answers handed out
      // on the io thread), else posted to it (a CAF worker). Nothing in handle() runs
      // after the handler, so an inline send cannot interleave with it.
      net::dispatch(self->stream_.get_executor(),
                    [self, r = std::move(r)]() mutable { self->send(std::move(r)); });
    });
  }

  void send(response_out r) {
    const double seconds = std::chrono::duration<double>(steady::now() - started_).count();
    st_->stats.record(route_label_, method_label_, r.status, seconds);
    if (st_->opts.access_log) access_log(r, seconds);
    sent_keep_alive_ = keep_alive_ && !closing_;
    serialize_response(wire_, r, version_, sent_keep_alive_, head_);
    stream_.expires_after(st_->opts.write_timeout);
    net::async_write(
        stream_, net::buffer(wire_),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
  }

  void access_log(const response_out& r, double seconds) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3fms", seconds * 1000);
    log_line(peer_ + " \"" + std::string(method_label_) + " " + target_ + "\" " +
             std::to_string(r.status) + " " + std::to_string(r.body.size()) + "B " + ms);
  }

  void on_write(beast::error_code ec) {
    if (ec) return do_close();
    if (!sent_keep_alive_) return linger();
    do_read_header();
  }

  /// Half-close, then read and discard for a moment, so a client still sending a body
  /// we refused receives our response instead of a reset.
  void linger() {
    phase_ = phase::closing;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(1));
    do_discard();
  }

  void do_discard() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->discarded_ += n;
                              if (!ec && self->discarded_ < (1u << 20)) return self->do_discard();
                              self->do_close();
                            });
  }

  void do_close() {
    phase_ = phase::closing;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    finished();
  }

  /// The connection does no more I/O: it leaves the registry (so a drain need not wait
  /// for a responder that still holds the object) and the open-connections gauge. Once.
  void finished() {
    if (finished_) return;
    finished_ = true;
    st_->stats.connection_closed();
    st_->session_ended(serial_);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::empty_body> continue_;
  std::string wire_;  ///< the response being written, as bytes
  bool sent_keep_alive_ = true;
  std::array<char, 4096> scratch_{};
  std::shared_ptr<server::state> st_;
  const uint64_t serial_;
  std::string peer_;
  phase phase_ = phase::reading;
  bool closing_ = false;
  bool finished_ = false;  // touched on the strand, and by the destructor when no handler is left
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
  size_t discarded_ = 0;
  steady::time_point started_{};
  // Labels point into the route table or are literals: no allocation per request.
  std::string_view route_label_, method_label_;
  std::string target_;  // filled only for the access log
};

// ---------------------------------------------------------------------------------------

void server::state::do_accept(const std::shared_ptr<state>& self) {
  auto on_accept = [self](beast::error_code ec, tcp::socket socket) {
    self->on_accept(self, ec, std::move(socket));
  };
  if (opts.single_io_thread)
    acceptor.async_accept(ioc, std::move(on_accept));
  else
    acceptor.async_accept(net::make_strand(ioc), std::move(on_accept));
}

void server::state::on_accept(const std::shared_ptr<state>& self, beast::error_code ec,
                              tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (!ec) {
    std::shared_ptr<session> s;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (sessions.size() < opts.connections_max) {
        auto serial = next_serial++;
        s = std::make_shared<session>(std::move(socket), self, serial);
        sessions.emplace(serial, s);
      }
    }
    if (s)
      s->start();
    else
      refuse_connection(socket);
  } else {
    log_line("accept failed: " + ec.message());  // e.g. out of file descriptors
  }
  do_accept(self);
}

void server::state::refuse_connection(tcp::socket& socket) {
  stats.reject("connection_cap");
  log_line("rejected connection: connection_cap (" + std::to_string(opts.connections_max) +
           " open)");
  auto p = problem(edge_problem::too_many_connections, "try again later");
  std::string raw =
      "HTTP/1.1 503 Service Unavailable\r\nServer: concertd\r\nConnection: close\r\n"
      "Retry-After: 1\r\nContent-Type: " +
      p.content_type + "\r\nContent-Length: " + std::to_string(p.body.size()) + "\r\n\r\n" + p.body;
  beast::error_code ec;
  // A fresh socket's send buffer takes these few hundred bytes at once.
  socket.non_blocking(true, ec);
  net::write(socket, net::buffer(raw), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

void server::state::session_ended(uint64_t serial) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(serial);
  if (draining && sessions.empty())
    net::post(acceptor.get_executor(), [self = shared_from_this()] { self->finish_drain(); });
}

void server::state::finish_drain() {
  std::function<void()> cb;
  {
    std::lock_guard<std::mutex> lock(mu);
    cb.swap(on_drained);
  }
  drain_timer.cancel();
  if (cb) cb();
}

void server::state::force_close_all() {
  std::lock_guard<std::mutex> lock(mu);
  for (auto& [serial, weak] : sessions)
    if (auto s = weak.lock()) net::post(s->get_executor(), [s] { s->force_close(); });
}

// ---------------------------------------------------------------------------------------

server::server(boost::asio::io_context& ioc, server_options opts, metrics& m, command_handler h)
    : st_(std::make_shared<state>(ioc, std::move(opts), m, std::move(h))) {}

server::~server() = default;

uint16_t server::start() {
  auto& acc = st_->acceptor;
  tcp::endpoint ep{net::ip::make_address(st_->opts.address), st_->opts.port};
  acc.open(ep.protocol());
  acc.set_option(net::socket_base::reuse_address(true));
  acc.bind(ep);
  acc.listen(net::socket_base::max_listen_connections);
  auto port = acc.local_endpoint().port();
  st_->do_accept(st_);
  return port;
}

void server::stop(std::function<void()> on_drained) {
  auto st = st_;
  net::post(st->acceptor.get_executor(), [st, cb = std::move(on_drained)]() mutable {
    std::vector<std::shared_ptr<session>> live;
    {
      std::lock_guard<std::mutex> lock(st->mu);
      if (st->draining) return;
      st->draining = true;
      st->on_drained = std::move(cb);
      for (auto& [serial, weak] : st->sessions)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    beast::error_code ec;
    st->acceptor.close(ec);
    for (auto& s : live) net::post(s->get_executor(), [s] { s->drain(); });
    if (live.empty()) return st->finish_drain();
    st->drain_timer.expires_after(st->opts.drain_timeout);
    st->drain_timer.async_wait([st](beast::error_code ec) {
      if (ec) return;  // cancelled: drained in time
      log_line("drain timeout: closing the remaining connections");
      st->force_close_all();
      st->finish_drain();
    });
  });
}

void server::abort() {
  auto st = st_;
  st->aborted = true;
  net::post(st->acceptor.get_executor(), [st] {
    beast::error_code ec;
    st->acceptor.close(ec);
    st->force_close_all();
  });
}

void server::release_handler() {
  st_->aborted = true;
  st_->handler = nullptr;
}

size_t server::connections() const {
  std::lock_guard<std::mutex> lock(st_->mu);
  return st_->sessions.size();
}

}  // namespace concert::http
