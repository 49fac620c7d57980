# Writes the OpenAPI JSON (IN) into a C++ header (OUT) as one raw string literal.
file(READ ${IN} text)
string(FIND "${text}" ")openapi\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "openapi.json contains the raw-string delimiter")
endif()
file(WRITE ${OUT} "// Generated from http/openapi.json by embed_openapi.cmake; do not edit.\n#pragma once\nnamespace concert::http::generated {\ninline constexpr const char openapi_json[] = R\"openapi(${text})openapi\";\n}\n")
