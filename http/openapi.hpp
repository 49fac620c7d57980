// The OpenAPI 3.0 document of the HTTP contract, embedded from http/openapi.json at
// build time (served at GET /openapi.json; tests check it lists exactly the routes).
#pragma once

#include <string_view>

namespace concert::http {

/// The document text, as written in http/openapi.json.
std::string_view openapi_json();

}  // namespace concert::http
