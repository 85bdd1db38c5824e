# Runs one example and checks both its exit code and its verdict line (ctest -L example).
#   cmake -DPROGRAM=path -DARGS="--quick" [-DEXPECT=regex] -P check_example.cmake
# EXPECT defaults to the verdict line "verdict: holds" with exit code 0; when it is given (the
# race example under ThreadSanitizer expects the race report), only the output is checked.
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${PROGRAM} ${args} OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE code)
message("${out}${err}")
if(DEFINED EXPECT AND NOT EXPECT STREQUAL "")
  if(NOT "${out}${err}" MATCHES "${EXPECT}")
    message(FATAL_ERROR "expected output matching '${EXPECT}' (exit code ${code})")
  endif()
  return()
endif()
if(NOT code EQUAL 0)
  message(FATAL_ERROR "exit code ${code}, expected 0 (the claim holds)")
endif()
if(NOT out MATCHES "\nverdict: holds\n")
  message(FATAL_ERROR "no 'verdict: holds' line")
endif()
