// minimal_beast_server: the yardstick for the HTTP edge's speed (scripts/bench-http). An
// asynchronous Boost.Beast HTTP/1.1 keep-alive server that answers every request with
// the same small JSON body, on one io thread like concertd's default --io-threads. It
// does no routing, no limits beyond Beast's defaults, no metrics and no actors: what is
// left is the cost of Beast and the socket, which concertd cannot beat.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

/// Roughly the size of a queue-token poll answer, so both servers write similar bytes.
constexpr const char* fixed_body =
    R"({"token":"minimal-server-fixed-body","userId":7,"status":"WAITING","position":1,)"
    R"("etaSeconds":0,"nextPollSeconds":1,"expiresAt":"2026-12-24T19:00:00Z"})";

/// One connection: read a request, write the fixed answer, repeat while keep-alive.
class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket s) : stream_(std::move(s)) {}

  void do_read() {
    req_ = {};
    bhttp::async_read(stream_, buffer_, req_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->close();
                        self->respond();
                      });
  }

 private:
  void respond() {
    res_ = {};
    res_.version(req_.version());
    res_.result(bhttp::status::ok);
    res_.set(bhttp::field::server, "minimal");
    res_.set(bhttp::field::content_type, "application/json; charset=utf-8");
    res_.body() = fixed_body;
    res_.keep_alive(req_.keep_alive());
    res_.prepare_payload();
    bhttp::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->res_.keep_alive()) return self->close();
      self->do_read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
};

void do_accept(net::io_context& ioc, tcp::acceptor& acc) {
  acc.async_accept(net::make_strand(ioc), [&ioc, &acc](beast::error_code ec, tcp::socket s) {
    if (!ec) std::make_shared<session>(std::move(s))->do_read();
    do_accept(ioc, acc);
  });
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = static_cast<unsigned short>(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: minimal_beast_server [--port N]\n");
      return 2;
    }
  }
  net::io_context ioc{1};
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), port};
  tcp::acceptor acc(ioc);
  acc.open(ep.protocol());
  acc.set_option(net::socket_base::reuse_address(true));
  acc.bind(ep);
  acc.listen(net::socket_base::max_listen_connections);
  std::printf("listening on 127.0.0.1:%u\n", acc.local_endpoint().port());
  std::fflush(stdout);
  do_accept(ioc, acc);
  ioc.run();  // one io thread, as concertd's default --io-threads 1
  return 0;
}
