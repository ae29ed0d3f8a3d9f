# The Debian package: `cpack -G DEB` in a build folder configured with the `package` preset gives
# outreach_VERSION_ARCH.deb with everything `cmake --install` installs (the program, its manual
# pages and bash completion, the libraries, headers, CMake and pkg-config files), the systemd
# unit of `outreach run`, the examples, and the `outreach` system user made on installation.
# Its dependencies are computed by dpkg-shlibdeps from what the binaries link.
install(FILES "${PROJECT_SOURCE_DIR}/cmake/debian/outreach.service" DESTINATION lib/systemd/system)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs/examples/" DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DOCDIR}" RENAME copyright)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME outreach)
set(CPACK_PACKAGE_VENDOR "the outreach developers")
set(CPACK_PACKAGE_CONTACT "the outreach developers <outreach@outreach.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "cold email campaigns run from a store that survives any stop")
set(CPACK_PACKAGE_DESCRIPTION
  "outreach plans cold email campaigns as data (sequences of steps with follow-ups and A/B
variants, leads, mailboxes, schedules and limits) and runs them from a store (SQLite or
PostgreSQL) that survives any stop: SMTP with DKIM, replies and bounces read over IMAP,
one-click unsubscribe and reports on the web. This package has the outreach program, its
systemd service, and the C++ and C libraries to embed it.")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Besides what the binaries link (computed): adduser for the system user the service runs as.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${PROJECT_SOURCE_DIR}/cmake/debian/postinst"
  "${PROJECT_SOURCE_DIR}/cmake/debian/prerm"
  "${PROJECT_SOURCE_DIR}/cmake/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# dpkg-shlibdeps finds the package's own liboutreach_c in the staging tree.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
include(CPack)
