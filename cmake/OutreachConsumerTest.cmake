# Proves the installed package works for a user: install into a prefix inside the build tree,
# build tests/consumer against it with find_package(outreach), run it; and check outreach.pc.
# Included from tests/CMakeLists.txt (label `install`).
if(NOT OUTREACH_INSTALL OR NOT OUTREACH_MASTER_PROJECT)
  return()  # no install rules, or the install tree belongs to a host project
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}"
   OR IS_ABSOLUTE "${OUTREACH_INSTALL_CMAKEDIR}" OR IS_ABSOLUTE "${OUTREACH_INSTALL_PKGCONFIGDIR}")
  message(STATUS "outreach: install tests skipped (absolute install dirs ignore --prefix)")
  return()
endif()

set(_prefix "${PROJECT_BINARY_DIR}/consumer-prefix")
set(_consumer_build "${PROJECT_BINARY_DIR}/consumer-build")
set(_consumer_src "${PROJECT_SOURCE_DIR}/tests/consumer")

get_property(_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(_multi_config)
  set(_config_arg --config $<CONFIG>)
else()
  set(_config_arg "")
endif()

# Start from an empty prefix, so a file the install rules no longer produce cannot hide a bug.
add_test(NAME install.clean
  COMMAND ${CMAKE_COMMAND} -E rm -rf "${_prefix}" "${_consumer_build}")
add_test(NAME install.install
  COMMAND ${CMAKE_COMMAND} --install "${PROJECT_BINARY_DIR}" --prefix "${_prefix}" ${_config_arg})
set_tests_properties(install.install PROPERTIES DEPENDS install.clean)
set_tests_properties(install.clean install.install PROPERTIES FIXTURES_SETUP outreach_installed)

# Same generator, compiler and flags as this build: a sanitized static library only links
# into a sanitized program.
set(_consumer_options
  -G "${CMAKE_GENERATOR}"
  "-DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
  "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
  "-DCMAKE_CXX_FLAGS=${CMAKE_CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${CMAKE_EXE_LINKER_FLAGS}"
  "-DCMAKE_PREFIX_PATH=${_prefix}"
  "-DOUTREACH_EXPECTED_PREFIX=${_prefix}"
  # Only the prefix above may satisfy find_package(outreach).
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(CMAKE_GENERATOR_PLATFORM)
  list(APPEND _consumer_options -A "${CMAKE_GENERATOR_PLATFORM}")
endif()
if(CMAKE_GENERATOR_TOOLSET)
  list(APPEND _consumer_options -T "${CMAKE_GENERATOR_TOOLSET}")
endif()
if(NOT _multi_config)
  list(APPEND _consumer_options "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}")
endif()

add_test(NAME install.consumer.configure
  COMMAND ${CMAKE_COMMAND} -S "${_consumer_src}" -B "${_consumer_build}" ${_consumer_options})
add_test(NAME install.consumer.build
  COMMAND ${CMAKE_COMMAND} --build "${_consumer_build}" ${_config_arg})
set_tests_properties(install.consumer.build PROPERTIES DEPENDS install.consumer.configure)
set_tests_properties(install.consumer.configure install.consumer.build PROPERTIES
  FIXTURES_REQUIRED outreach_installed
  FIXTURES_SETUP outreach_consumer_built)

if(_multi_config)
  set(_consumer_exe "${_consumer_build}/$<CONFIG>/outreach_consumer")
else()
  set(_consumer_exe "${_consumer_build}/outreach_consumer")
endif()
add_test(NAME install.consumer.run COMMAND "${_consumer_exe}")
set_tests_properties(install.consumer.run PROPERTIES
  FIXTURES_REQUIRED "outreach_installed;outreach_consumer_built")

set(_install_tests install.clean install.install
  install.consumer.configure install.consumer.build install.consumer.run)

# pkg-config: the file resolves, and its flags (with --static, since the library is static by
# default) are enough to compile, link and run the same consumer without CMake.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_EXECUTABLE)
  set(_pc_env "PKG_CONFIG_PATH=${_prefix}/${OUTREACH_INSTALL_PKGCONFIGDIR}")
  add_test(NAME install.pkg-config
    COMMAND "${PKG_CONFIG_EXECUTABLE}" --print-errors --cflags --libs outreach)
  set(_pc_exe "${PROJECT_BINARY_DIR}/consumer-pkg-config")
  add_test(NAME install.pkg-config.link
    COMMAND sh -c "\"$0\" ${CMAKE_CXX_FLAGS} -std=c++20 -o \"$1\" \"$2\" \
$(\"$3\" --cflags outreach) ${CMAKE_EXE_LINKER_FLAGS} $(\"$3\" --static --libs outreach) && \"$1\""
      "${CMAKE_CXX_COMPILER}" "${_pc_exe}" "${_consumer_src}/main.cpp" "${PKG_CONFIG_EXECUTABLE}")
  set_tests_properties(install.pkg-config install.pkg-config.link PROPERTIES
    ENVIRONMENT "${_pc_env}"
    FIXTURES_REQUIRED outreach_installed)
  # With BUILD_SHARED_LIBS the program needs the installed library at run time.
  set_property(TEST install.pkg-config.link APPEND PROPERTY
    ENVIRONMENT "LD_LIBRARY_PATH=${_prefix}/${CMAKE_INSTALL_LIBDIR}")
  list(APPEND _install_tests install.pkg-config install.pkg-config.link)
else()
  message(STATUS "outreach: pkg-config not found, its install tests are skipped")
endif()

set_tests_properties(${_install_tests} PROPERTIES LABELS install)

unset(_install_tests)
unset(_prefix)
unset(_consumer_build)
unset(_consumer_src)
unset(_consumer_exe)
unset(_consumer_options)
unset(_config_arg)
unset(_multi_config)
unset(_pc_env)
unset(_pc_exe)
