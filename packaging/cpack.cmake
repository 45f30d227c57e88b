# Debian packages, one per install component: `cpack -G DEB` in the build
# directory writes ipfs-telemetry-plugin_<version>_<arch>.deb and
# telemetry-collector_<version>_<arch>.deb (docs/collector.md, "Debian
# packages"). Included at the end of the top-level CMakeLists.txt, after every
# install() rule, because include(CPack) records the components known then.

set(TELEMETRY_PACKAGE_MAINTAINER "IPFS telemetry maintainers <telemetry-maintainers@example.org>"
    CACHE STRING "The Maintainer field of the Debian packages")

set(_deb_src ${PROJECT_SOURCE_DIR}/packaging)
set(_collector_deb ${PROJECT_SOURCE_DIR}/collector/packaging/deb)
set(_deb_out ${PROJECT_BINARY_DIR}/packaging)

# What every Debian binary package carries in /usr/share/doc/<package>: a
# copyright file and, for a native version like ours, changelog.gz (gzip -9n:
# no name or time stamp in the header, so the build is reproducible). Only in
# the packages: EXCLUDE_FROM_ALL keeps them out of a plain `cmake --install`.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_deb_src}/changelog)
file(MAKE_DIRECTORY ${_deb_out})
execute_process(COMMAND gzip -9n -c ${_deb_src}/changelog OUTPUT_FILE ${_deb_out}/changelog.gz
                RESULT_VARIABLE _gzip_failed)
if(_gzip_failed)
  message(WARNING "gzip failed: the Debian packages will lack changelog.gz")
endif()
foreach(_pkg_comp IN ITEMS "ipfs-telemetry-plugin;plugin" "telemetry-collector;collector")
  list(GET _pkg_comp 0 _pkg)
  list(GET _pkg_comp 1 _comp)
  install(FILES ${_deb_src}/copyright ${_deb_out}/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${_pkg} COMPONENT ${_comp} EXCLUDE_FROM_ALL)
  if(EXISTS ${_deb_src}/lintian/${_pkg})
    install(FILES ${_deb_src}/lintian/${_pkg} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides
            COMPONENT ${_comp} EXCLUDE_FROM_ALL)
  endif()
endforeach()

set(CPACK_PACKAGE_NAME ipfs-telemetry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${TELEMETRY_PACKAGE_MAINTAINER}")
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_COMPONENTS_ALL plugin collector)
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Installed under /usr with DESTDIR pointing at the staging tree, so that an
# absolute destination (the conffile in /etc, see
# collector/packaging/install_service.cmake) lands inside the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps derives the library dependencies from the ELF files.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Maintainer scripts 0755, conffiles 0644, whatever their mode in the tree.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_PLUGIN_PACKAGE_NAME ipfs-telemetry-plugin)
# telemetry.so loads libssl.so.3 itself at its first HTTPS send (dlopen, see
# plugin/src/openssl_lazy.cpp), which dpkg-shlibdeps cannot see.
set(CPACK_DEBIAN_PLUGIN_PACKAGE_DEPENDS "libssl3 (>= 3.0.0)")
set(CPACK_DEBIAN_PLUGIN_DESCRIPTION "IPFS node telemetry plugin, with the ipfs-stub host
ipfs-stub is a small IPFS-style node daemon that loads plugins; the telemetry
plugin it bundles reports a small, anonymous daily event to a collector, in
the modes described in /usr/share/doc/ipfs_telemetry/telemetry.md (nothing is
sent without a configured endpoint).

The package also holds the plugin SDK: the C ABI header, a CMake package
(find_package(IpfsPlugin)), a pkg-config file, the JSON schemas and examples.")

set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME telemetry-collector)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_EXTRA
    ${_collector_deb}/conffiles ${_collector_deb}/postinst ${_collector_deb}/prerm ${_collector_deb}/postrm)
set(CPACK_DEBIAN_COLLECTOR_DESCRIPTION "IPFS telemetry collector, as a systemd service
telemetry-collector receives the telemetry plugin's events over HTTP(S),
validates them against the payload schema, stores them in SQLite or
PostgreSQL, keeps raw events only as long as configured, erases a node's
events on request and serves daily aggregates, a dashboard and Prometheus
metrics.

The service (telemetry-collector.service) runs as the system user
telemetry-collector with its database in /var/lib/telemetry-collector; its
configuration is /etc/telemetry-collector/collector.conf. Collection is off
in a new database until an operator turns it on.")

include(CPack)
