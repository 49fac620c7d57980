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
#include "support/concertd_process.hpp"

namespace concert::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using support::concertd_path;
using process = support::concertd_process;

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
  // A long request deadline: the stop below must not wait for the deadline of requests
  // that were answered long before (it once did, for the last round's timer).
  process p({concertd_path().string(), "--port", "0", "--data-dir", (dir_ / "data").string(),
             "--demo-catalog", "--seed", "1", "--request-timeout-ms", "60000"});
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
