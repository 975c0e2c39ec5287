# SPDX-License-Identifier: MIT
# CTest checks that version.hpp's macros equal project(VERSION), and that the check can fail.
set(_sockit_check -DHEADER=${PROJECT_SOURCE_DIR}/include/sockit/version.hpp
                  -P ${PROJECT_SOURCE_DIR}/cmake/SockitCheckVersion.cmake)
add_test(NAME version_header_matches_project
         COMMAND ${CMAKE_COMMAND} -DEXPECTED=${PROJECT_VERSION} ${_sockit_check})
add_test(NAME version_check_detects_mismatch
         COMMAND ${CMAKE_COMMAND} -DEXPECTED=${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}.999 ${_sockit_check})
set_tests_properties(version_check_detects_mismatch PROPERTIES PASS_REGULAR_EXPRESSION "does[ \n]+not[ \n]+match[ \n]+project")
set_tests_properties(version_header_matches_project version_check_detects_mismatch PROPERTIES LABELS packaging)
