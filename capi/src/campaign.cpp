// outreach_campaign_*: loading and checking campaigns.

#include <boost/json.hpp>

#include <filesystem>
#include <new>

#include "abi.hpp"
#include "handles.hpp"
#include "outreach/lead_list.hpp"

using namespace outreach::capi;

namespace {

/// Hands a loaded campaign (or its errors) to the host.
int give(outreach::expected<outreach::CampaignDefinition> loaded, outreach_campaign** out) {
  if (!loaded) return fail_with(loaded.error());
  *out = new outreach_campaign{std::move(*loaded)};
  return OUTREACH_OK;
}

}  // namespace

extern "C" {

OUTREACH_API int outreach_campaign_from_json(outreach_campaign** out, const char* json, const char* base_dir) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_text(json, "json")) return status;
  if (const int status = check_optional_text(base_dir, "base_dir")) return status;
  return guarded([&] {
    const std::filesystem::path base = base_dir ? std::filesystem::path(base_dir) : std::filesystem::path();
    return give(outreach::CampaignDefinition::from_json(json, base), out);
  });
}

OUTREACH_API int outreach_campaign_load(outreach_campaign** out, const char* path) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_text(path, "path")) return status;
  return guarded([&] { return give(outreach::CampaignDefinition::load(path), out); });
}

OUTREACH_API int outreach_campaign_name(const outreach_campaign* campaign, const char** out_name) {
  if (const int status = check_not_null(out_name, "out_name")) return status;
  *out_name = nullptr;
  if (const int status = check_not_null(campaign, "campaign")) return status;
  *out_name = campaign->definition.name.c_str();
  return OUTREACH_OK;
}

OUTREACH_API int outreach_campaign_lead_count(const outreach_campaign* campaign, size_t* out_count) {
  if (const int status = check_not_null(out_count, "out_count")) return status;
  *out_count = 0;
  if (const int status = check_not_null(campaign, "campaign")) return status;
  *out_count = campaign->definition.leads.size();
  return OUTREACH_OK;
}

OUTREACH_API int outreach_campaign_lead_problems(const outreach_campaign* campaign, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(campaign, "campaign")) return status;
  return guarded([&] { return copy_out(errors_json(campaign->definition.lead_problems), out_json); });
}

OUTREACH_API int outreach_campaign_to_json(const outreach_campaign* campaign, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(campaign, "campaign")) return status;
  return guarded([&] { return copy_out(campaign->definition.to_json(), out_json); });
}

OUTREACH_API int outreach_leads_load(const char* path, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_text(path, "path")) return status;
  return guarded([&] {
    auto list = outreach::load_lead_list(path);
    if (!list) return fail_with(list.error());
    boost::json::object out{{"leads", boost::json::parse(outreach::leads_to_json(list->leads))},
                            {"problems", boost::json::parse(errors_json(list->problems))}};
    return copy_out(boost::json::serialize(out), out_json);
  });
}

OUTREACH_API int outreach_campaign_sequence(outreach_sequence** out, const outreach_campaign* campaign) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_not_null(campaign, "campaign")) return status;
  return guarded([&] {
    *out = new outreach_sequence{campaign->definition.sequence};
    return OUTREACH_OK;
  });
}

OUTREACH_API void outreach_campaign_free(outreach_campaign* campaign) { delete campaign; }

}  // extern "C"
