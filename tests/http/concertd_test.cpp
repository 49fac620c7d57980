// The concertd binary as scripts and checks drive it: `--port 0` prints exactly one
// `listening on 127.0.0.1:PORT` line on stdout, the data directory is created, the
// server answers, and SIGTERM drains and exits 0. Skipped when the binary is not built.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"

namespace concert::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path concertd_path() {
  return fs::canonical("/proc/self/exe").parent_path().parent_path() / "http" / "concertd";
}

/// A concertd child process with its stdout on a pipe.
class process {
 public:
  explicit process(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
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
  ~process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
  }

  /// Everything on stdout until EOF or the deadline.
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

  /// Exit status after `sig`, or -1 when it did not exit within the deadline.
  int stop(int sig, std::chrono::milliseconds within) {
    kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  int wait_exit(std::chrono::milliseconds within) { return stop(0, within); }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
};

class Concertd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(concertd_path())) GTEST_SKIP() << "concertd not built";
    dir_ = fs::temp_directory_path() / ("concertd-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(Concertd, PrintsOneListeningLineServesAndExitsZeroOnSigterm) {
  process p({concertd_path().string(), "--port", "0", "--data-dir", (dir_ / "data").string(),
             "--demo-catalog", "--seed", "1"});
  auto line = p.read_stdout(10s, true);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)\n")))
      << line;
  const auto port = static_cast<uint16_t>(std::stoi(m[1]));
  EXPECT_GT(port, 0);
  EXPECT_TRUE(fs::is_directory(dir_ / "data"));
  client idle(port), c(port);
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200u);  // stays open, kept alive
  auto r = c.request("POST", "/api/v1/queue/tokens", R"({"userId": 7})");
  EXPECT_EQ(r.status, 201u);
  EXPECT_EQ(p.stop(SIGTERM, 10s), 0);
  EXPECT_EQ(p.read_stdout(1s, false), "");  // nothing after the one line
  EXPECT_TRUE(idle.closed_by_server(1s));
}

TEST_F(Concertd, HelpAndBadFlags) {
  process help({concertd_path().string(), "--help"});
  auto text = help.read_stdout(5s, false);
  EXPECT_EQ(help.wait_exit(5s), 0);
  EXPECT_NE(text.find("--max-holds-per-user"), std::string::npos) << text;
  process bad({concertd_path().string(), "--hold-seconds", "zero"});
  EXPECT_NE(bad.wait_exit(5s), 0);
}

TEST_F(Concertd, PortInUseFailsWithNonZeroExit) {
  process first({concertd_path().string(), "--port", "0", "--data-dir", (dir_ / "a").string(),
                 "--demo-catalog"});
  auto line = first.read_stdout(10s, true);
  auto port = line.substr(line.rfind(':') + 1);
  port.pop_back();
  process second({concertd_path().string(), "--port", port, "--data-dir", (dir_ / "b").string(),
                  "--demo-catalog"});
  EXPECT_EQ(second.wait_exit(10s), 1);
  EXPECT_EQ(first.stop(SIGINT, 10s), 0);
}

}  // namespace
}  // namespace concert::http
