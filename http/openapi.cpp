// Holds the one copy of the embedded document (generated header, see CMakeLists.txt).
#include "http/openapi.hpp"

#include "openapi_text.hpp"

namespace concert::http {

std::string_view openapi_json() { return generated::openapi_json; }

}  // namespace concert::http
