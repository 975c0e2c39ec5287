# SPDX-License-Identifier: MIT
# cmake -DHEADER=include/sockit/version.hpp -DEXPECTED=1.2.3 -P SockitCheckVersion.cmake
# Fails unless the header's SOCKIT_VERSION_MAJOR/MINOR/PATCH spell EXPECTED (project(VERSION)).
if(NOT DEFINED HEADER OR NOT DEFINED EXPECTED)
  message(FATAL_ERROR "usage: cmake -DHEADER=<version.hpp> -DEXPECTED=<x.y.z> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()
file(READ "${HEADER}" text)
set(found "")
foreach(part MAJOR MINOR PATCH)
  if(NOT text MATCHES "#define SOCKIT_VERSION_${part} ([0-9]+)")
    message(FATAL_ERROR "${HEADER}: no '#define SOCKIT_VERSION_${part} <number>'")
  endif()
  list(APPEND found "${CMAKE_MATCH_1}")
endforeach()
list(JOIN found "." found)
if(NOT found VERSION_EQUAL EXPECTED OR NOT found STREQUAL EXPECTED)
  message(FATAL_ERROR "${HEADER} says version ${found}, which does not match project(VERSION ${EXPECTED}) "
                      "in CMakeLists.txt: change both together")
endif()
message(STATUS "${HEADER}: version ${found} matches CMakeLists.txt")
