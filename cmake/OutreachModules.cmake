# The library's modules: one OBJECT library per folder of src/, combined into the one `outreach`.
#
# outreach_module(NAME name
#   [OPTION variable]          # left out of the build when the variable is OFF
#   [OPEN]                     # its private headers may be included by cli/ and capi/
#   [PURE]                     # no I/O: never Asio, TLS, SQLite, or a module that is not pure
#   DEPENDS module...          # the modules whose headers it may include
#   USES capability...         # the outside libraries it may include (see _outreach_uses_*)
#   HEADERS header...          # its public headers, under include/outreach/
#   SOURCES file...)           # its sources and private headers, relative to the caller
#
# The declarations are the module map: the build links by them, the layering test checks every
# include against them (through modules.json in the build folder), and docs/architecture.md's
# picture is drawn from them (modules.mmd, modules.dot).

# What each capability links; the layering test knows which includes each one stands for.
set(_outreach_uses_asio Boost::system Threads::Threads)
set(_outreach_uses_tls OpenSSL::SSL OpenSSL::Crypto)
set(_outreach_uses_crypto OpenSSL::Crypto)
set(_outreach_uses_beast Boost::system Threads::Threads)
set(_outreach_uses_json Boost::json)
set(_outreach_uses_date date::date-tz)
set(_outreach_uses_sqlite SQLite::SQLite3)
set(_outreach_uses_postgresql PostgreSQL::PostgreSQL)
set(_outreach_uses_iconv "")
set(_outreach_uses_posix "")
set(_outreach_uses_threads Threads::Threads)

set_property(GLOBAL PROPERTY OUTREACH_MODULES "")
set_property(GLOBAL PROPERTY OUTREACH_MODULES_JSON "")

function(outreach_module)
  cmake_parse_arguments(PARSE_ARGV 0 M "OPEN;PURE" "NAME;OPTION" "DEPENDS;USES;HEADERS;SOURCES")
  if(M_OPTION AND NOT ${M_OPTION})
    message(STATUS "outreach: module ${M_NAME} left out (${M_OPTION}=OFF)")
    return()
  endif()
  set(target outreach_${M_NAME})
  list(TRANSFORM M_SOURCES PREPEND "${CMAKE_CURRENT_SOURCE_DIR}/")
  add_library(${target} OBJECT ${M_SOURCES})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE ${OUTREACH_WARNING_FLAGS})
  target_compile_definitions(${target} PRIVATE OUTREACH_VERSION_STRING="${PROJECT_VERSION}")
  target_link_libraries(${target} PUBLIC tl::expected)

  set(json_depends "")
  foreach(dependency IN LISTS M_DEPENDS)
    if(NOT TARGET outreach_${dependency})
      message(FATAL_ERROR "outreach module ${M_NAME} depends on ${dependency}, which is not declared before it")
    endif()
    get_target_property(dependency_pure outreach_${dependency} OUTREACH_PURE)
    if(M_PURE AND NOT dependency_pure)
      message(FATAL_ERROR "outreach module ${M_NAME} is pure but depends on ${dependency}, which is not")
    endif()
    target_link_libraries(${target} PUBLIC outreach_${dependency})
    string(APPEND json_depends "\"${dependency}\",")
  endforeach()

  set(json_uses "")
  foreach(capability IN LISTS M_USES)
    if(NOT DEFINED _outreach_uses_${capability})
      message(FATAL_ERROR "outreach module ${M_NAME} uses ${capability}, which is not a known capability")
    endif()
    if(M_PURE AND capability MATCHES "^(asio|tls|sqlite|postgresql)$")
      message(FATAL_ERROR "outreach module ${M_NAME} is pure and cannot use ${capability}")
    endif()
    target_link_libraries(${target} PUBLIC ${_outreach_uses_${capability}})
    set_property(GLOBAL APPEND PROPERTY OUTREACH_LINKED ${_outreach_uses_${capability}})
    string(APPEND json_uses "\"${capability}\",")
  endforeach()

  set(json_headers "")
  foreach(header IN LISTS M_HEADERS)
    if(NOT EXISTS "${PROJECT_SOURCE_DIR}/include/outreach/${header}")
      message(FATAL_ERROR "outreach module ${M_NAME} names include/outreach/${header}, which does not exist")
    endif()
    string(APPEND json_headers "\"${header}\",")
  endforeach()
  set_target_properties(${target} PROPERTIES OUTREACH_PURE "${M_PURE}" OUTREACH_HEADERS "${M_HEADERS}")

  file(RELATIVE_PATH folder "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
  set(pure false)
  if(M_PURE)
    set(pure true)
  endif()
  set(open false)
  if(M_OPEN)
    set(open true)
  endif()
  foreach(list IN ITEMS json_depends json_uses json_headers)
    string(REGEX REPLACE ",$" "" ${list} "${${list}}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY OUTREACH_MODULES ${M_NAME})
  string(CONCAT entry
    "    {\"name\": \"${M_NAME}\", \"folder\": \"${folder}\", \"pure\": ${pure}, \"open\": ${open},\n"
    "     \"depends\": [${json_depends}], \"uses\": [${json_uses}],\n"
    "     \"headers\": [${json_headers}]},\n")
  set_property(GLOBAL APPEND_STRING PROPERTY OUTREACH_MODULES_JSON "${entry}")
endfunction()

# Writes modules.json (read by the layering test) and modules.dot (the picture of
# docs/architecture.md) into the build folder, once every module is declared.
function(outreach_write_module_map)
  get_property(modules GLOBAL PROPERTY OUTREACH_MODULES)
  get_property(json GLOBAL PROPERTY OUTREACH_MODULES_JSON)
  string(REGEX REPLACE ",\n$" "\n" json "${json}")
  file(CONFIGURE OUTPUT "${PROJECT_BINARY_DIR}/modules.json"
    CONTENT "{\n  \"modules\": [\n${json}  ]\n}\n" @ONLY)

  # The same graph twice: Graphviz for the API reference (the docs target renders it), Mermaid
  # for docs/architecture.md, which the `architecture.map` test compares with it.
  set(dot "digraph outreach_modules {\n  rankdir=BT;\n  node [shape=box, fontname=\"Helvetica\"];\n")
  set(mermaid "graph BT\n")
  set(pure_modules "")
  set(dot_edges "")
  foreach(module IN LISTS modules)
    get_target_property(pure outreach_${module} OUTREACH_PURE)
    if(pure)
      string(APPEND dot "  \"${module}\" [style=filled, fillcolor=\"#e8f4e8\"];\n")
      list(APPEND pure_modules ${module})
    else()
      string(APPEND dot "  \"${module}\";\n")
    endif()
    get_target_property(links outreach_${module} LINK_LIBRARIES)
    set(depends "")
    foreach(link IN LISTS links)
      if(link MATCHES "^outreach_(.+)$")
        list(APPEND depends ${CMAKE_MATCH_1})
        string(APPEND dot_edges "  \"${module}\" -> \"${CMAKE_MATCH_1}\";\n")
      endif()
    endforeach()
    if(depends)
      list(JOIN depends " & " targets)
      string(APPEND mermaid "  ${module} --> ${targets}\n")
    else()
      string(APPEND mermaid "  ${module}\n")
    endif()
  endforeach()
  string(APPEND dot "${dot_edges}}\n")
  list(JOIN pure_modules "," pure_list)
  string(APPEND mermaid "  classDef pure fill:#e8f4e8,stroke:#5a8f5a\n  class ${pure_list} pure\n")
  file(CONFIGURE OUTPUT "${PROJECT_BINARY_DIR}/modules.dot" CONTENT "${dot}" @ONLY)
  file(CONFIGURE OUTPUT "${PROJECT_BINARY_DIR}/modules.mmd" CONTENT "${mermaid}" @ONLY)
endfunction()

# Puts every declared module's objects into `library` and links what they use.
function(outreach_combine_modules library)
  get_property(modules GLOBAL PROPERTY OUTREACH_MODULES)
  foreach(module IN LISTS modules)
    target_sources(${library} PRIVATE $<TARGET_OBJECTS:outreach_${module}>)
    add_dependencies(${library} outreach_${module})
  endforeach()
  get_property(linked GLOBAL PROPERTY OUTREACH_LINKED)
  list(REMOVE_DUPLICATES linked)
  target_link_libraries(${library} PRIVATE ${linked})
endfunction()

# outreach_client(NAME name FOLDER folder USES capability...): a program or interface over the
# library (the command line, the C interface). It may include every public header, the headers of
# OPEN modules and its own, and the outside libraries it USES; the layering test holds it to that.
function(outreach_client)
  cmake_parse_arguments(PARSE_ARGV 0 C "" "NAME;FOLDER" "USES")
  set(json_uses "")
  foreach(capability IN LISTS C_USES)
    string(APPEND json_uses "\"${capability}\",")
  endforeach()
  string(REGEX REPLACE ",$" "" json_uses "${json_uses}")
  string(CONCAT entry
    "    {\"name\": \"${C_NAME}\", \"folder\": \"${C_FOLDER}\", \"client\": true,\n"
    "     \"uses\": [${json_uses}]},\n")
  set_property(GLOBAL APPEND_STRING PROPERTY OUTREACH_MODULES_JSON "${entry}")
endfunction()
