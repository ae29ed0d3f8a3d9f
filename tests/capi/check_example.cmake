# Runs the C example on the example campaign and checks what it prints: the summary JSON of
# `outreach simulate --json`, then `events: N` with the number of lines of its event log, then
# `messages: M` with the number of `sent` events in it (what the counting transport was given).
#   cmake -DEXAMPLE=capi_example_simulate -DCAMPAIGN=campaign.json -DREFERENCE_DIR=dir -P check_example.cmake
execute_process(COMMAND "${EXAMPLE}" "${CAMPAIGN}" OUTPUT_VARIABLE _output RESULT_VARIABLE _result)
if(NOT _result EQUAL 0)
  message(FATAL_ERROR "${EXAMPLE} ${CAMPAIGN} failed: ${_result}\n${_output}")
endif()

file(READ "${REFERENCE_DIR}/plain-summary.json" _summary)
# Counted with regular expressions over the whole text: lines of JSON may hold `;`, which a
# CMake list would split.
file(READ "${REFERENCE_DIR}/plain-events.jsonl" _events)
string(REGEX MATCHALL "\n" _lines "${_events}")
list(LENGTH _lines _event_count)
string(REGEX MATCHALL "(^|\n){\"type\":\"sent\"" _sent "${_events}")
list(LENGTH _sent _messages)
if(_messages EQUAL 0)
  message(FATAL_ERROR "the reference run sent nothing")
endif()

set(_expected "${_summary}events: ${_event_count}\nmessages: ${_messages}\n")
if(NOT _output STREQUAL _expected)
  message(FATAL_ERROR "the example printed:\n${_output}\nexpected:\n${_expected}")
endif()
message(STATUS "the example printed the summary, ${_event_count} events and ${_messages} messages")
