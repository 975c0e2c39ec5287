# SPDX-License-Identifier: MIT
# Target sockit_docs: the API reference (HTML) from the headers' comments, with Doxygen.
# Undocumented public members are errors. Defined only when Doxygen is found.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(SOCKIT_DOCS_OUTPUT "${PROJECT_BINARY_DIR}/docs")
  configure_file("${PROJECT_SOURCE_DIR}/docs/Doxyfile.in" "${PROJECT_BINARY_DIR}/Doxyfile" @ONLY)
  add_custom_target(sockit_docs
                    COMMAND Doxygen::doxygen "${PROJECT_BINARY_DIR}/Doxyfile"
                    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                    COMMENT "Generating the API reference in ${SOCKIT_DOCS_OUTPUT}/html"
                    VERBATIM)
endif()
