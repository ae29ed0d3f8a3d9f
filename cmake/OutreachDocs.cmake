# `docs`: the HTML API reference of the public headers, built with Doxygen into <build>/docs/html.
# Any Doxygen warning (an undocumented public declaration, a bad @param) fails the build, and
# the ctest test `docs` builds the target so the test suite checks the documentation too.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "outreach: Doxygen not found, no `docs` target")
  return()
endif()

set(OUTREACH_DOCS_DIR "${PROJECT_BINARY_DIR}/docs")
file(GLOB_RECURSE _outreach_doc_inputs CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/include/*.hpp" "${PROJECT_SOURCE_DIR}/capi/include/*.h")

# The README becomes the main page when there is one.
set(OUTREACH_DOCS_MAINPAGE "")
if(EXISTS "${PROJECT_SOURCE_DIR}/README.md")
  set(OUTREACH_DOCS_MAINPAGE "${PROJECT_SOURCE_DIR}/README.md")
  list(APPEND _outreach_doc_inputs "${OUTREACH_DOCS_MAINPAGE}")
endif()

# The module map, drawn by Graphviz from the modules' declarations (modules.dot, written by the
# configure step), on a page of its own.
find_program(OUTREACH_DOT_PROGRAM dot)
set(OUTREACH_DOCS_HAVE_DOT NO)
set(OUTREACH_DOCS_MODULES_PAGE "")
if(OUTREACH_DOT_PROGRAM)
  set(OUTREACH_DOCS_HAVE_DOT YES)
  set(OUTREACH_DOCS_MODULES_PAGE "${OUTREACH_DOCS_DIR}/modules.md")
  file(WRITE "${OUTREACH_DOCS_MODULES_PAGE}" "# The modules {#modules}\n\n"
    "The library's modules and the modules each may include, drawn from their declarations in "
    "`src/*/CMakeLists.txt`; green modules are pure (no I/O). docs/architecture.md gives the rules "
    "and where each behaviour lives.\n\n"
    "\\dotfile modules.dot\n")
  list(APPEND _outreach_doc_inputs "${PROJECT_BINARY_DIR}/modules.dot")
else()
  message(STATUS "outreach: Graphviz (dot) not found, the API reference has no module map")
endif()

configure_file("${PROJECT_SOURCE_DIR}/docs/Doxyfile.in" "${OUTREACH_DOCS_DIR}/Doxyfile" @ONLY)

# The stamp is touched only when Doxygen succeeds: with FAIL_ON_WARNINGS Doxygen still writes
# the HTML, so the HTML itself cannot tell a clean run from a failed one.
add_custom_command(
  OUTPUT "${OUTREACH_DOCS_DIR}/docs.stamp"
  COMMAND Doxygen::doxygen "${OUTREACH_DOCS_DIR}/Doxyfile"
  COMMAND ${CMAKE_COMMAND} -E touch "${OUTREACH_DOCS_DIR}/docs.stamp"
  DEPENDS "${OUTREACH_DOCS_DIR}/Doxyfile" ${_outreach_doc_inputs}
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
  COMMENT "Building the API reference in ${OUTREACH_DOCS_DIR}/html"
  VERBATIM)
add_custom_target(docs DEPENDS "${OUTREACH_DOCS_DIR}/docs.stamp")

# Registered here, not in tests/, so that it exists whenever the target does; it only
# runs when tests are enabled.
add_test(NAME docs COMMAND ${CMAKE_COMMAND} --build "${PROJECT_BINARY_DIR}" --target docs)
set_tests_properties(docs PROPERTIES LABELS docs)

unset(_outreach_doc_inputs)
