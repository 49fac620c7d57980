// Route matching and path/query parsing: the table is complete, wrong methods give 405
// with the right Allow list, odd paths are 404, and ids accept exactly the canonical
// decimal form of 1..2^63-1.
#include "http/routes.hpp"

#include <gtest/gtest.h>

#include <set>

namespace concert::http {
namespace {

TEST(Routes, EveryRouteIdHasOneRowAndMatchesItsOwnTemplate) {
  std::set<int> ids;
  for (const auto& r : route_table) {
    EXPECT_TRUE(ids.insert(static_cast<int>(r.id)).second) << r.path;
    EXPECT_EQ(&route_of(r.id), &r);
    std::string path(r.path);
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{'))
      path.replace(open, path.find('}', open) - open + 1, "42");
    auto m = match_route(r.method, path);
    ASSERT_NE(m.route, nullptr) << r.method << " " << path;
    EXPECT_EQ(m.route->id, r.id) << path;
  }
  EXPECT_EQ(ids.size(), route_table.size());
  EXPECT_EQ(*ids.rbegin(), static_cast<int>(route_table.size()) - 1);
}

TEST(Routes, ParametersAreTheRawSegmentsInOrder) {
  auto m = match_route("GET", "/api/v1/concerts/17/schedules");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->id, route_id::schedules);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "17");
  m = match_route("POST", "/api/v1/users/abc/points/charge");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->id, route_id::charge);
  EXPECT_EQ(m.params[0], "abc");  // syntax of the id is the parser's job (400, not 404)
}

TEST(Routes, SameTemplateDifferentMethods) {
  EXPECT_EQ(match_route("GET", "/api/v1/queue/tokens/me").route->id, route_id::poll_token);
  EXPECT_EQ(match_route("DELETE", "/api/v1/queue/tokens/me").route->id, route_id::leave_queue);
  EXPECT_EQ(match_route("GET", "/api/v1/users/1/points").route->id, route_id::points);
  EXPECT_EQ(match_route("GET", "/api/v1/users/1/points/history").route->id, route_id::history);
}

TEST(Routes, WrongMethodListsTheAllowedOnes) {
  struct row {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (auto [method, path, allow] : {
           row{"PUT", "/api/v1/queue/tokens/me", "GET, DELETE"},
           row{"POST", "/api/v1/queue/tokens/me", "GET, DELETE"},
           row{"GET", "/api/v1/queue/tokens", "POST"},
           row{"DELETE", "/api/v1/concerts", "GET"},
           row{"GET", "/api/v1/payments", "POST"},
           row{"GET", "/api/v1/reservations", "POST"},
           row{"DELETE", "/api/v1/reservations/5", "GET"},
           row{"GET", "/api/v1/users/5/points/charge", "POST"},
           row{"POST", "/healthz", "GET"},
           row{"get", "/healthz", "GET"},  // methods are case-sensitive
           row{"HEAD", "/metrics", "GET"},
       }) {
    auto m = match_route(method, path);
    EXPECT_EQ(m.route, nullptr) << method << " " << path;
    EXPECT_EQ(m.allow, allow) << method << " " << path;
  }
}

TEST(Routes, UnknownOrOddPathsAreNotFound) {
  for (const char* path : {"/",
                           "",
                           "api/v1/concerts",
                           "/api/v1",
                           "/api/v1/",
                           "/api/v1/concerts/",
                           "//api/v1/concerts",
                           "/api//v1/concerts",
                           "/API/v1/concerts",
                           "/api/v2/concerts",
                           "/api/v1/concerts/1",
                           "/api/v1/concerts/1/schedules/",
                           "/api/v1/concerts//schedules",
                           "/api/v1/queue/tokens/you",
                           "/api/v1/queue/tokens/me/x",
                           "/healthz/",
                           "/openapi.yaml",
                           "/api/v1/users/1/points/x",
                           "/api/v1/concerts%2F1%2Fschedules",
                           "*",
                           "http://localhost/healthz"}) {
    auto m = match_route("GET", path);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_TRUE(m.allow.empty()) << path;
  }
}

TEST(Routes, SplitTargetAtFirstQuestionMark) {
  EXPECT_EQ(split_target("/a?b=1?c").first, "/a");
  EXPECT_EQ(split_target("/a?b=1?c").second, "b=1?c");
  EXPECT_EQ(split_target("/a").second, "");
  EXPECT_EQ(split_target("/a?").second, "");
}

TEST(Routes, IdsAreCanonicalPositiveDecimals) {
  EXPECT_EQ(parse_id("1"), 1u);
  EXPECT_EQ(parse_id("42"), 42u);
  EXPECT_EQ(parse_id("4294967297"), 4294967297u);
  EXPECT_EQ(parse_id("9223372036854775807"), 9223372036854775807u);
  for (const char* bad : {"",
                          "0",
                          "00",
                          "01",
                          "+1",
                          "-1",
                          " 1",
                          "1 ",
                          "%31",
                          "1%00",
                          "1e3",
                          "1.0",
                          "0x10",
                          "12a",
                          "9223372036854775808",
                          "18446744073709551615",
                          "18446744073709551616",
                          "99999999999999999999",
                          "\xd9\xa1",
                          "1\n",
                          "１"}) {
    EXPECT_EQ(parse_id(bad), std::nullopt) << bad;
  }
}

TEST(Routes, AllFlagIsStrict) {
  EXPECT_EQ(parse_all_flag(""), false);
  EXPECT_EQ(parse_all_flag("all=true"), true);
  EXPECT_EQ(parse_all_flag("all=false"), false);
  EXPECT_EQ(parse_all_flag("x=1&all=true&y"), true);
  EXPECT_EQ(parse_all_flag("foo=bar"), false);
  EXPECT_EQ(parse_all_flag("allx=true"), false);
  for (const char* bad : {"all", "all=", "all=TRUE", "all=1", "all=yes", "all=%74rue",
                          "all=true&all=true", "all=true&all=false", "all=true "}) {
    EXPECT_EQ(parse_all_flag(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace concert::http
