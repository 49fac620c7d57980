// The real concertd binary as a child process, for the end-to-end tests (startup line,
// signals, SIGKILL and restart, backup and restore). POSIX only; header-only so each
// test executable that needs it just includes it. Not a process supervisor: one child,
// its stdout on a pipe, stderr inherited.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace concert::support {

/// build/http/concertd, found next to the running test (build/tests/<name>).
inline std::filesystem::path concertd_path() {
  return std::filesystem::canonical("/proc/self/exe").parent_path().parent_path() / "http" /
         "concertd";
}

/// One child running `args` (args[0] is the program); SIGKILLed when still running at
/// destruction.
class concertd_process {
 public:
  explicit concertd_process(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~concertd_process() {
    if (pid_ > 0 && !reaped_) kill_now();
    close(out_);
  }
  concertd_process(const concertd_process&) = delete;
  concertd_process& operator=(const concertd_process&) = delete;

  /// What the child wrote to stdout until EOF, the deadline, or (if `first_line_only`)
  /// the first newline.
  std::string read_stdout(std::chrono::milliseconds within, bool first_line_only) {
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (first_line_only && text.find('\n') != std::string::npos) break;
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      auto n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    return text;
  }

  /// The port once the server accepts connections (its one "listening on" line), or 0
  /// when it exited or stayed silent for `within` (a bound against a hung child, not a
  /// correctness condition).
  uint16_t wait_listening(std::chrono::milliseconds within) {
    auto line = read_stdout(within, true);
    std::smatch m;
    if (!std::regex_search(line, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)\n")))
      return 0;
    return static_cast<uint16_t>(std::stoi(m[1]));
  }

  /// SIGKILL, as a crash: no shutdown code runs.
  void kill_now() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }

  /// Exit status after `sig` (0: no signal), 128 + signal when killed by one, or -1 when
  /// it did not exit within the deadline.
  int stop(int sig, std::chrono::milliseconds within) {
    if (sig != 0) kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  int wait_exit(std::chrono::milliseconds within) { return stop(0, within); }
  int terminate(std::chrono::milliseconds within) { return stop(SIGTERM, within); }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false;
};

}  // namespace concert::support
