// concertd: parses the command line, starts a node (actor system + HTTP server), prints
// the one `listening on ADDRESS:PORT` line to stdout once it accepts connections, and
// serves until SIGTERM/SIGINT, then drains in-flight requests and exits 0.
#include <cstdio>
#include <exception>
#include <iostream>

#include "http/node.hpp"
#include "http/options.hpp"

int main(int argc, char** argv) {
  using namespace concert::http;
  auto cli = parse_command_line(argc, argv, std::cout, std::cerr);
  if (!cli.opts) return cli.exit_code;
  try {
    node n(std::move(*cli.opts));
    n.stop_on_signals();
    std::printf("listening on %s:%u\n", n.options().server.address.c_str(), n.port());
    std::fflush(stdout);
    n.wait();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "concertd: %s\n", e.what());
    return 1;
  }
  return 0;
}
