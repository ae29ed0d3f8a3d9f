# Runs `outreach simulate` on the example campaign — as it is, with its inbound script, and with
# the inbound script over a window of time — and keeps the summary (--json) and the event log
# (--events) of each run for the C tests to compare with.
#   cmake -DCLI=outreach -DEXAMPLE_DIR=docs/examples/saas-founders -DOUTPUT_DIR=dir -P cli_reference.cmake
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
foreach(_run plain inbound window)
  set(_arguments simulate "${EXAMPLE_DIR}/campaign.json" --json --events "${OUTPUT_DIR}/${_run}-events.jsonl")
  if(NOT _run STREQUAL "plain")
    list(APPEND _arguments --inbound "${EXAMPLE_DIR}/inbound.jsonl")
  endif()
  if(_run STREQUAL "window")  # the same instants as test_window_matches_cli in test_capi.c
    list(APPEND _arguments --from 2026-12-03T15:30:00Z --until 2026-12-18T12:00:00Z)
  endif()
  execute_process(COMMAND "${CLI}" ${_arguments}
    OUTPUT_FILE "${OUTPUT_DIR}/${_run}-summary.json"
    RESULT_VARIABLE _result)
  if(NOT _result EQUAL 0)
    message(FATAL_ERROR "outreach ${_arguments} failed: ${_result}")
  endif()
endforeach()
