# Run as a script (cmake -DOUTREACH_CLI=... -DOUT=... -P OutreachGenerated.cmake) after the
# command-line tool is built: its manual pages and its bash completion, both made by the program
# from its own command line, as `--help` is, so that neither can drift from it.
file(REMOVE_RECURSE "${OUT}/man1")
execute_process(COMMAND "${OUTREACH_CLI}" manual "${OUT}/man1"
  OUTPUT_QUIET RESULT_VARIABLE manual_status)
if(NOT manual_status EQUAL 0)
  message(FATAL_ERROR "outreach manual ${OUT}/man1 failed: ${manual_status}")
endif()
execute_process(COMMAND "${OUTREACH_CLI}" completion bash
  OUTPUT_FILE "${OUT}/outreach.bash-completion" RESULT_VARIABLE completion_status)
if(NOT completion_status EQUAL 0)
  message(FATAL_ERROR "outreach completion bash failed: ${completion_status}")
endif()
file(TOUCH "${OUT}/stamp")
