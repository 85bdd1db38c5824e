# Writes what the package installs beside the program, made by the program itself from its own
# options: the man pages (DIR/man1) and the completion scripts for bash, zsh and fish
# (DIR/completions). Run by the build after parlab is linked (apps/parlab/CMakeLists.txt).
file(REMOVE_RECURSE "${DIR}/man1" "${DIR}/completions")
execute_process(COMMAND "${PARLAB}" manpages "${DIR}/man1" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "parlab manpages ${DIR}/man1 failed (${rc})")
endif()
file(MAKE_DIRECTORY "${DIR}/completions")
foreach(shell_file IN ITEMS "bash:parlab" "zsh:_parlab" "fish:parlab.fish")
  string(REPLACE ":" ";" pair "${shell_file}")
  list(GET pair 0 shell)
  list(GET pair 1 name)
  execute_process(COMMAND "${PARLAB}" completion ${shell} OUTPUT_FILE "${DIR}/completions/${name}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "parlab completion ${shell} failed (${rc})")
  endif()
endforeach()
file(TOUCH "${DIR}/stamp")
