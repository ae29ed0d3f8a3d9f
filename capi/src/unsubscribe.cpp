// outreach_unsubscribe_*: the signed tokens of one-click unsubscribe links, made and checked for
// a host's web handler.

#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "abi.hpp"
#include "util/utf8.hpp"
#include "outreach/lead.hpp"
#include "outreach/unsubscribe.hpp"

using namespace outreach::capi;

namespace {

/// A secret must be given: with an empty one, anyone could sign a token.
int check_secret(const char* secret) {
  if (const int status = check_text(secret, "secret")) return status;
  if (*secret == '\0') return fail_with(OUTREACH_EINVAL, "secret is empty: anyone could sign a token with it");
  return OUTREACH_OK;
}

}  // namespace

extern "C" {

OUTREACH_API int outreach_unsubscribe_token(char** out_token, const char* secret, const char* campaign,
                                            const char* lead) {
  if (const int status = check_not_null(out_token, "out_token")) return status;
  *out_token = nullptr;
  if (const int status = check_secret(secret)) return status;
  if (const int status = check_text(campaign, "campaign")) return status;
  if (const int status = check_text(lead, "lead")) return status;
  return guarded([&] {
    // The token holds the campaign and the lead separated by a line break.
    if (std::string_view(campaign).find('\n') != std::string_view::npos) {
      return fail_with(OUTREACH_EINVAL, "campaign: a campaign name has no line break");
    }
    outreach::Lead named;
    named.email = lead;
    return copy_out(outreach::make_unsubscribe_token(secret, campaign, named.key()), out_token);
  });
}

OUTREACH_API int outreach_unsubscribe_verify(char** out_json, const char* secret, const char* token) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_secret(secret)) return status;
  // The token comes from a URL: any bytes at all, checked below like any other forgery.
  if (const int status = check_not_null(token, "token")) return status;
  return guarded([&] {
    auto target = outreach::verify_unsubscribe_token(secret, token);
    if (!target || !outreach::detail::is_valid_utf8(target->campaign) ||
        !outreach::detail::is_valid_utf8(target->lead)) {
      return fail_with(OUTREACH_EVALUE, "not an unsubscribe token signed with this secret (malformed, altered, or "
                                        "made with another secret)");
    }
    const boost::json::object named{{"campaign", target->campaign}, {"lead", target->lead}};
    return copy_out(boost::json::serialize(named), out_json);
  });
}

}  // extern "C"
