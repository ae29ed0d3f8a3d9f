// outreach.h compiles as C++ with the project's warnings, alone and twice, and its functions
// have C linkage there.
#include <outreach.h>
#include <outreach.h>

#include <type_traits>

static_assert(std::is_same_v<decltype(&outreach_version_number), int (*)()>);
static_assert(std::is_same_v<decltype(OUTREACH_VERSION_NUMBER), int>);

extern "C" int outreach_header_test_cpp(void) {
  return outreach_version_number() == OUTREACH_VERSION_NUMBER ? 0 : 1;
}
