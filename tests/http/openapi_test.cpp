// The served OpenAPI document describes exactly the routes the server serves: every
// (method, path) of the route table is in it and nothing else; guarded routes declare
// the bearer scheme, path templates declare their parameters, and every $ref resolves.
#include "http/openapi.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "http/routes.hpp"

namespace concert::http {
namespace {

using json = nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json doc() { return json::parse(openapi_json()); }

TEST(OpenApi, IsAnOpenApi3Document) {
  auto d = doc();
  EXPECT_EQ(d["openapi"].get<std::string>().rfind("3.0.", 0), 0u);
  EXPECT_TRUE(d["info"].contains("title"));
  EXPECT_TRUE(d["info"].contains("version"));
}

TEST(OpenApi, ListsExactlyTheServedRoutes) {
  std::set<std::pair<std::string, std::string>> served, documented;
  for (const auto& r : route_table) served.emplace(lower(r.method), std::string(r.path));
  const std::set<std::string> methods{"get",     "put",  "post",  "delete",
                                      "options", "head", "patch", "trace"};
  const auto d = doc();  // the range below must not outlive its document
  for (auto& [path, item] : d["paths"].items())
    for (auto& [method, op] : item.items())
      if (methods.count(method)) documented.emplace(method, path);
  EXPECT_EQ(served, documented);
}

TEST(OpenApi, GuardsAndParametersMatchTheTable) {
  auto d = doc();
  for (const auto& r : route_table) {
    const auto& op = d["paths"][std::string(r.path)][lower(r.method)];
    SCOPED_TRACE(std::string(r.method) + " " + std::string(r.path));
    EXPECT_EQ(op.contains("security"), r.auth != guard::none);
    std::set<std::string> declared, in_path;
    if (op.contains("parameters"))
      for (const auto& p : op["parameters"])
        if (p["in"] == "path") declared.insert(p["name"].get<std::string>());
    std::string_view t = r.path;
    for (auto open = t.find('{'); open != std::string_view::npos; open = t.find('{', open + 1))
      in_path.emplace(t.substr(open + 1, t.find('}', open) - open - 1));
    EXPECT_EQ(declared, in_path);
    EXPECT_TRUE(op.contains("operationId"));
    EXPECT_TRUE(op.contains("responses"));
  }
}

void collect_refs(const json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == "$ref" && v.is_string())
        out.insert(v.get<std::string>());
      else
        collect_refs(v, out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) collect_refs(v, out);
  }
}

TEST(OpenApi, EveryRefResolves) {
  auto d = doc();
  std::set<std::string> refs;
  collect_refs(d, refs);
  EXPECT_FALSE(refs.empty());
  for (const auto& ref : refs) {
    ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
    EXPECT_TRUE(d.contains(json::json_pointer(ref.substr(1)))) << ref;
  }
}

}  // namespace
}  // namespace concert::http
