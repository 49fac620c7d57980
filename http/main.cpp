// concertd: parses the command line, starts a node (actor system + HTTP server), prints
// the one `listening on ADDRESS:PORT` line to stdout once it accepts connections, and
// serves until SIGTERM/SIGINT, then drains in-flight requests and exits 0.
// With --restore-from BACKUP it only restores BACKUP into an empty --data-dir and exits.
#include <cstdio>
#include <exception>
#include <iostream>

#include "http/node.hpp"
#include "http/options.hpp"
#include "storage/store.hpp"

namespace {

/// Offline restore: verify the backup, copy it into the (missing or empty) data dir.
int restore(const std::string& backup, const std::string& data_dir) {
  auto st = concert::store::restore(backup, data_dir);
  if (!st.ok()) {
    std::fprintf(stderr, "concertd: restore failed: %s\n", st.to_string().c_str());
    return 1;
  }
  std::printf("restored %s into %s\n", backup.c_str(), data_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace concert::http;
  auto cli = parse_command_line(argc, argv, std::cout, std::cerr);
  if (!cli.opts) return cli.exit_code;
  if (!cli.restore_from.empty()) return restore(cli.restore_from, cli.opts->data_dir);
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
