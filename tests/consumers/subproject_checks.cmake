# SPDX-License-Identifier: MIT
# Checks that adding sockit as a subproject (add_subdirectory or FetchContent) leaves the parent
# alone: no global flags, and no tests or examples unless the parent asked for them. (Whether it
# installs anything is checked by .ci/steps/30-packaging.sh, which runs cmake --install.)

# Call before adding sockit: remembers what a subproject must not change.
macro(sockit_remember_globals)
  foreach(_var CMAKE_CXX_FLAGS CMAKE_CXX_FLAGS_DEBUG CMAKE_CXX_FLAGS_RELEASE CMAKE_EXE_LINKER_FLAGS
               CMAKE_CXX_STANDARD CMAKE_CXX_EXTENSIONS CMAKE_BUILD_TYPE CMAKE_POSITION_INDEPENDENT_CODE)
    set(_sockit_before_${_var} "${${_var}}")
  endforeach()
  foreach(_prop COMPILE_OPTIONS COMPILE_DEFINITIONS INCLUDE_DIRECTORIES LINK_OPTIONS)
    get_directory_property(_sockit_before_${_prop} ${_prop})
  endforeach()
endmacro()

# Call after adding sockit from `source_dir`. With `parent_wants_all` the parent set
# SOCKIT_BUILD_TESTS, SOCKIT_BUILD_EXAMPLES and SOCKIT_INSTALL on, and they must be honoured.
function(sockit_check_subproject source_dir parent_wants_all)
  foreach(_var CMAKE_CXX_FLAGS CMAKE_CXX_FLAGS_DEBUG CMAKE_CXX_FLAGS_RELEASE CMAKE_EXE_LINKER_FLAGS
               CMAKE_CXX_STANDARD CMAKE_CXX_EXTENSIONS CMAKE_BUILD_TYPE CMAKE_POSITION_INDEPENDENT_CODE)
    if(NOT "${${_var}}" STREQUAL "${_sockit_before_${_var}}")
      message(FATAL_ERROR "sockit changed ${_var} from '${_sockit_before_${_var}}' to '${${_var}}'")
    endif()
  endforeach()
  foreach(_prop COMPILE_OPTIONS COMPILE_DEFINITIONS INCLUDE_DIRECTORIES LINK_OPTIONS)
    get_directory_property(_after ${_prop})
    if(NOT "${_after}" STREQUAL "${_sockit_before_${_prop}}")
      message(FATAL_ERROR "sockit changed the parent's ${_prop} to '${_after}'")
    endif()
  endforeach()
  foreach(_prop INTERFACE_COMPILE_OPTIONS INTERFACE_COMPILE_DEFINITIONS INTERFACE_LINK_OPTIONS)
    get_target_property(_value sockit::sockit ${_prop})
    if(_value)
      message(FATAL_ERROR "sockit::sockit forces ${_prop} '${_value}' on its users")
    endif()
  endforeach()

  get_directory_property(_subdirs DIRECTORY "${source_dir}" SUBDIRECTORIES)
  get_directory_property(_tests DIRECTORY "${source_dir}" TESTS)
  if(parent_wants_all)
    foreach(_dir tests examples)
      if(NOT "${source_dir}/${_dir}" IN_LIST _subdirs)
        message(FATAL_ERROR "the parent set SOCKIT_BUILD_* ON, but sockit did not add ${_dir}/ (${_subdirs})")
      endif()
    endforeach()
    if(NOT TARGET sockit_tests OR NOT _tests)
      message(FATAL_ERROR "the parent set SOCKIT_BUILD_TESTS ON, but sockit defined no tests")
    endif()
  elseif(_subdirs OR _tests OR TARGET sockit_tests)
    message(FATAL_ERROR "sockit as a subproject added directories '${_subdirs}' and tests '${_tests}'")
  endif()
  message(STATUS "sockit as a subproject: no global flags; added directories: '${_subdirs}'")
endfunction()
