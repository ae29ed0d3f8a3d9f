#include "outreach/version.hpp"

namespace outreach {

int version_number() noexcept { return OUTREACH_VERSION_NUMBER; }

std::string_view version() noexcept { return OUTREACH_VERSION_STRING; }

}  // namespace outreach
