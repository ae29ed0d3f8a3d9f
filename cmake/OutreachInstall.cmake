# Install rules: the library, its headers, the command-line tool, a CMake package
# (find_package(outreach) -> outreach::outreach) and a pkg-config file.
include(CMakePackageConfigHelpers)

set(OUTREACH_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/outreach"
  CACHE STRING "Where to install outreach-config.cmake, relative to the prefix")
set(OUTREACH_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  CACHE STRING "Where to install outreach.pc, relative to the prefix")
mark_as_advanced(OUTREACH_INSTALL_CMAKEDIR OUTREACH_INSTALL_PKGCONFIGDIR)

install(TARGETS outreach
  EXPORT outreach-targets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
# (No INCLUDES DESTINATION: the target's $<INSTALL_INTERFACE:...> include dir already says it.)

# Only the public headers of the modules built, and the umbrella; private helpers live in src/
# and never reach the include path.
get_property(_outreach_modules GLOBAL PROPERTY OUTREACH_MODULES)
set(_outreach_headers "${PROJECT_SOURCE_DIR}/include/outreach/outreach.hpp")
foreach(_module IN LISTS _outreach_modules)
  get_target_property(_module_headers outreach_${_module} OUTREACH_HEADERS)
  list(TRANSFORM _module_headers PREPEND "${PROJECT_SOURCE_DIR}/include/outreach/")
  list(APPEND _outreach_headers ${_module_headers})
endforeach()
install(FILES ${_outreach_headers} DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/outreach")

if(TARGET outreach_cli)
  # OUTPUT_NAME makes the installed binary `outreach`.
  install(TARGETS outreach_cli RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
  install(DIRECTORY "${OUTREACH_GENERATED_DIR}/man1" DESTINATION "${CMAKE_INSTALL_MANDIR}")
  install(FILES "${OUTREACH_GENERATED_DIR}/outreach.bash-completion"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" RENAME outreach)
endif()

install(EXPORT outreach-targets
  NAMESPACE outreach::
  FILE outreach-targets.cmake
  DESTINATION "${OUTREACH_INSTALL_CMAKEDIR}")

# A static library carries its PRIVATE link dependencies into the exported target
# ($<LINK_ONLY:Boost::json> ...), so the config file must find them too; a shared one does not.
get_target_property(_outreach_type outreach TYPE)
if(_outreach_type STREQUAL "STATIC_LIBRARY")
  set(OUTREACH_STATIC ON)
else()
  set(OUTREACH_STATIC OFF)
endif()

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/outreach-config.cmake.in"
  "${PROJECT_BINARY_DIR}/outreach-config.cmake"
  INSTALL_DESTINATION "${OUTREACH_INSTALL_CMAKEDIR}"
  NO_SET_AND_CHECK_MACRO)
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/outreach-config-version.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/outreach-config.cmake"
  "${PROJECT_BINARY_DIR}/outreach-config-version.cmake"
  DESTINATION "${OUTREACH_INSTALL_CMAKEDIR}")

# pkg-config: the prefix is derived from the .pc file's own location, so the file stays right
# when installed with `cmake --install --prefix <elsewhere>` or when the tree is moved.
function(_outreach_pc_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${OUTREACH_INSTALL_PKGCONFIGDIR}")
  set(OUTREACH_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _outreach_up "/outreach-root/${OUTREACH_INSTALL_PKGCONFIGDIR}" "/outreach-root")
  string(REGEX REPLACE "/$" "" _outreach_up "${_outreach_up}")
  set(OUTREACH_PC_PREFIX "\${pcfiledir}/${_outreach_up}")
endif()
_outreach_pc_dir(OUTREACH_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
_outreach_pc_dir(OUTREACH_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
# Boost and date ship no .pc files, so a static link names their libraries directly;
# OpenSSL's libssl.pc and libcrypto.pc and SQLite's sqlite3.pc are proper pkg-config
# dependencies. libpq is named directly too: Debian's libpq.pc asks a static link for libraries
# (libpgcommon, libpgport, GSSAPI) that only exist to build libpq itself.
set(OUTREACH_PC_STORES "")
set(OUTREACH_PC_LIBPQ "")
if(OUTREACH_WITH_SQLITE)
  string(APPEND OUTREACH_PC_STORES ", sqlite3")
endif()
if(OUTREACH_WITH_POSTGRESQL)
  set(OUTREACH_PC_LIBPQ " -lpq")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/outreach.pc.in" "${PROJECT_BINARY_DIR}/outreach.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/outreach.pc" DESTINATION "${OUTREACH_INSTALL_PKGCONFIGDIR}")

unset(_outreach_type)
unset(_outreach_modules)
unset(_outreach_headers)
unset(_module_headers)
unset(_outreach_up)
