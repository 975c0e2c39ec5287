# SPDX-License-Identifier: MIT
# Install rules: the headers, a CMake package (sockitConfig.cmake, sockitConfigVersion.cmake,
# sockitTargets.cmake) and a pkg-config file. Only the library is installed: never tests,
# examples or benchmarks. sockit is header-only, so the package files go under share/.
include(CMakePackageConfigHelpers)

set(SOCKIT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/sockit"
    CACHE STRING "Where to install sockitConfig.cmake, relative to the prefix")
set(SOCKIT_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
    CACHE STRING "Where to install sockit.pc, relative to the prefix")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/sockit" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS sockit EXPORT sockitTargets)
install(EXPORT sockitTargets NAMESPACE sockit:: DESTINATION "${SOCKIT_INSTALL_CMAKEDIR}")

# sockit::tls goes in an export set of its own, which sockitConfig.cmake loads only when
# OpenSSL 3 is found where sockit is used (find_package(sockit COMPONENTS tls) requires it).
if(TARGET sockit_tls)
  install(TARGETS sockit_tls EXPORT sockitTlsTargets)
  install(EXPORT sockitTlsTargets NAMESPACE sockit:: DESTINATION "${SOCKIT_INSTALL_CMAKEDIR}")
endif()

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/sockitConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/sockitConfig.cmake"
                              INSTALL_DESTINATION "${SOCKIT_INSTALL_CMAKEDIR}")
# 1.x accepts any request for 1.y with y <= x; the headers fit any architecture.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/sockitConfigVersion.cmake"
                                 COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/sockitConfig.cmake" "${PROJECT_BINARY_DIR}/sockitConfigVersion.cmake"
        DESTINATION "${SOCKIT_INSTALL_CMAKEDIR}")

# sockit.pc finds the prefix relative to itself (${pcfiledir}), so that it stays right when the
# prefix is only chosen at install time (cmake --install --prefix) or the tree is moved.
if(IS_ABSOLUTE "${SOCKIT_INSTALL_PKGCONFIGDIR}")
  set(SOCKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _sockit_up "/sockit-prefix/${SOCKIT_INSTALL_PKGCONFIGDIR}" "/sockit-prefix")
  string(REGEX REPLACE "/$" "" _sockit_up "${_sockit_up}")
  set(SOCKIT_PC_PREFIX "\${pcfiledir}/${_sockit_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SOCKIT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SOCKIT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# Winsock is a library of its own on Windows; elsewhere the C library has the socket calls.
if(WIN32)
  set(SOCKIT_PC_LIBS "-lws2_32")
else()
  set(SOCKIT_PC_LIBS "")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/sockit.pc.in" "${PROJECT_BINARY_DIR}/sockit.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/sockit.pc" DESTINATION "${SOCKIT_INSTALL_PKGCONFIGDIR}")
if(TARGET sockit_tls)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/sockit-tls.pc.in" "${PROJECT_BINARY_DIR}/sockit-tls.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/sockit-tls.pc" DESTINATION "${SOCKIT_INSTALL_PKGCONFIGDIR}")
endif()

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/sockit")
