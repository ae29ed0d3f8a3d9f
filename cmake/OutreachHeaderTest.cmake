# Header self-containment: every public header compiles as the first and only include of a
# translation unit (and twice, to check its include guard), with the project's warnings.
# Building the object library `outreach_header_test` is the test.
file(GLOB _outreach_public_headers CONFIGURE_DEPENDS
  RELATIVE "${PROJECT_SOURCE_DIR}/include"
  "${PROJECT_SOURCE_DIR}/include/outreach/*.hpp")

set(_outreach_header_sources "")
foreach(_header IN LISTS _outreach_public_headers)
  string(MAKE_C_IDENTIFIER "${_header}" _name)
  set(_source "${CMAKE_CURRENT_BINARY_DIR}/header_test/${_name}.cpp")
  # file(CONFIGURE) rewrites only on change, so reconfiguring does not force a rebuild.
  file(CONFIGURE OUTPUT "${_source}" CONTENT "#include <${_header}>\n#include <${_header}>\n")
  list(APPEND _outreach_header_sources "${_source}")
endforeach()

add_library(outreach_header_test OBJECT ${_outreach_header_sources})
# The library's usage requirements without depending on its build: the header test must not
# wait for (or fail because of) src/*.cpp.
target_include_directories(outreach_header_test PRIVATE
  $<TARGET_PROPERTY:outreach,INTERFACE_INCLUDE_DIRECTORIES>)
target_compile_features(outreach_header_test PRIVATE cxx_std_20)
target_link_libraries(outreach_header_test PRIVATE tl::expected outreach_warnings)

unset(_outreach_public_headers)
unset(_outreach_header_sources)
unset(_header)
unset(_name)
unset(_source)
