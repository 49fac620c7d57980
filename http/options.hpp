// concertd's command line (fixed by the contract: --port, --data-dir, the queue and
// seat knobs, --demo-catalog, ...) parsed into node_options. Separate from main so
// tests can check every flag and default without starting a process.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "http/node.hpp"

namespace concert::http {

struct cli_outcome {
  std::optional<node_options> opts;  ///< set when the server should start (or restore)
  int exit_code = 0;                 ///< when not: 0 after --help, non-zero on bad flags
  /// --restore-from: restore this backup into opts->data_dir, then exit (no server).
  std::string restore_from;
};

/// Parses argv. --help prints every flag with its default to `out`; a bad flag prints
/// the reason to `err`.
cli_outcome parse_command_line(int argc, const char* const* argv, std::ostream& out,
                               std::ostream& err);

}  // namespace concert::http
