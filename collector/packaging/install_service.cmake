# Runs at install time (cmake --install, CPack), where CMAKE_INSTALL_PREFIX is
# the prefix in force then (cmake --install --prefix P, or CPack's /usr with
# DESTDIR set), so the unit names the binary where it really lands. Set by the
# caller: TELEMETRY_UNIT_TEMPLATE, TELEMETRY_CONF_FILE, TELEMETRY_STAGING_DIR,
# TELEMETRY_BINDIR and TELEMETRY_DOCDIR (both relative to the prefix).
#
# The configuration directory follows GNUInstallDirs' rule for sysconfdir: /etc
# for the prefixes / and /usr (the Debian package), PREFIX/etc otherwise.
if(CMAKE_INSTALL_PREFIX STREQUAL "/" OR CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(SYSCONFDIR /etc)
else()
  set(SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
endif()
string(REGEX REPLACE "/$" "" _prefix "${CMAKE_INSTALL_PREFIX}")
set(BINDIR "${_prefix}/${TELEMETRY_BINDIR}")
set(DOCDIR "${_prefix}/${TELEMETRY_DOCDIR}")

# One staged copy per destination, so that two installs at once do not race.
string(MD5 _key "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(_unit_dir "${TELEMETRY_STAGING_DIR}/${_key}")
configure_file("${TELEMETRY_UNIT_TEMPLATE}" "${_unit_dir}/telemetry-collector.service" @ONLY)

# lib/, not the (multiarch) libdir: systemd looks in PREFIX/lib/systemd/system.
file(INSTALL DESTINATION "${_prefix}/lib/systemd/system" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${_unit_dir}/telemetry-collector.service")
# The configuration is the operator's once it is there: a later install keeps
# it (the Debian package leaves that to dpkg's conffile handling).
set(_conf "$ENV{DESTDIR}${SYSCONFDIR}/telemetry-collector/collector.conf")
if(EXISTS "${_conf}")
  message(STATUS "Kept: ${_conf} (the shipped one: ${TELEMETRY_CONF_FILE})")
else()
  file(INSTALL DESTINATION "${SYSCONFDIR}/telemetry-collector" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "${TELEMETRY_CONF_FILE}")
endif()
