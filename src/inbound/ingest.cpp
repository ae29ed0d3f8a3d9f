#include "outreach/ingest.hpp"

#include <boost/json.hpp>

#include <array>
#include <chrono>

#include "util/calendar_date.hpp"
#include "mail/mail_date.hpp"
#include "inbound/received.hpp"
#include "util/sha256.hpp"

namespace outreach {

namespace {

constexpr std::array<std::string_view, 6> match_method_names{"none",       "in_reply_to", "references",
                                                             "original_message_id", "recipient", "sender"};


}  // namespace

std::string_view to_string(MatchMethod value) noexcept { return match_method_names[static_cast<std::size_t>(value)]; }

std::string to_json(const IngestResult& result, std::string_view file) {
  const Classification& found = result.classification;
  boost::json::object out;
  if (!file.empty()) out["file"] = file;
  out["class"] = to_string(found.type);
  if (found.type == InboundClass::bounce) out["kind"] = found.hard ? "hard" : "soft";
  const bool matched = result.matched_by != MatchMethod::none;
  out["campaign"] = matched ? boost::json::value(result.campaign) : nullptr;
  out["lead"] = matched ? boost::json::value(result.lead) : nullptr;
  out["step"] = matched && result.step ? boost::json::value(*result.step) : nullptr;
  out["matched_by"] = to_string(result.matched_by);
  out["duplicate"] = result.duplicate;
  if (!found.status.empty()) out["status"] = found.status;
  if (!found.diagnostic.empty()) out["diagnostic"] = found.diagnostic;
  if (!found.recipient.empty()) out["recipient"] = found.recipient;
  if (!found.original_message_id.empty()) out["original_message_id"] = found.original_message_id;
  if (found.return_date) out["return_date"] = detail::format_date(*found.return_date);
  if (!found.from.empty()) out["from"] = found.from;
  boost::json::array evidence;
  for (const std::string& clue : found.evidence) evidence.emplace_back(clue);
  out["evidence"] = std::move(evidence);
  return boost::json::serialize(out);
}

namespace detail {

namespace {

// A message delivered twice (to two of our mailboxes, or fetched again) keeps its Message-ID
// while its trace headers change; a message without one is known by its bytes.
std::string fingerprint_of(const MimePart& message, std::string_view raw) {
  if (const std::string* id = message.header("Message-ID")) {
    const auto ids = message_ids_in(*id);
    if (!ids.empty()) return sha256_hex("message-id\n" + ids.front());
  }
  std::string keyed = "bytes\n";
  keyed.append(raw);
  return sha256_hex(keyed);
}

// The first of `ids` that names a send of a campaign the engine runs.
std::optional<LeadMatch> first_sent(const std::vector<std::string>& ids, const MatchSources& sources) {
  for (const std::string& id : ids) {
    if (auto sent = sources.send_by_message_id(id); sent && sources.runs_campaign(sent->campaign)) return sent;
  }
  return std::nullopt;
}

void take(IngestResult& result, MatchMethod method, const LeadMatch& sent) {
  result.matched_by = method;
  result.campaign = sent.campaign;
  result.lead = sent.lead;
  result.step = sent.step;
}

// A message matched by an address is about the last send before it was written, when its
// `Date` says when that was (mail taken in late, after later steps went out); else the last.
bool take(IngestResult& result, MatchMethod method, const std::optional<LeadMatch>& lead, const MimePart& message,
          const MatchSources& sources) {
  if (!lead || !lead->step) return false;  // a lead never written to: nothing of ours to answer
  result.matched_by = method;
  result.campaign = lead->campaign;
  result.lead = lead->lead;
  result.step = lead->step;
  if (const std::string* date = message.header("Date")) {
    if (const auto written = instant_of_date_field(*date)) {
      if (const auto step = sources.last_step_before(lead->campaign, lead->lead, *written)) result.step = step;
    }
  }
  return true;
}

// In-Reply-To, then References from the newest, then the Message-ID a report encloses, then the
// address a report is about, then the sender.
void match(IngestResult& result, const MimePart& message, const MatchSources& sources) {
  const Classification& found = result.classification;
  const std::string* in_reply_to = message.header("In-Reply-To");
  if (in_reply_to) {
    if (auto sent = first_sent(message_ids_in(*in_reply_to), sources)) return take(result, MatchMethod::in_reply_to, *sent);
  }
  if (const std::string* references = message.header("References")) {
    auto ids = message_ids_in(*references);
    std::reverse(ids.begin(), ids.end());
    if (auto sent = first_sent(ids, sources)) return take(result, MatchMethod::references, *sent);
  }
  if (!found.original_message_id.empty()) {
    if (auto sent = first_sent({found.original_message_id}, sources)) {
      return take(result, MatchMethod::original_message_id, *sent);
    }
  }
  const bool report = found.type == InboundClass::bounce || found.type == InboundClass::complaint;
  if (report && !found.recipient.empty() &&
      take(result, MatchMethod::recipient, sources.lead_by_address(found.recipient), message, sources)) {
    return;
  }
  // A report comes from a mail system, not from the lead, whatever its From says.
  if (!report && !found.from.empty()) {
    (void)take(result, MatchMethod::sender, sources.lead_by_address(found.from), message, sources);
  }
}

}  // namespace

expected<Received> read_received(std::string_view raw, const MimeLimits& limits, const ClassifyContext& context,
                                 const MatchSources& sources) {
  auto message = parse_message(raw, limits);
  if (!message) return fail(message.error());
  Received received;
  IngestResult& result = received.result;
  result.classification = classify(*message, context);
  received.fingerprint = fingerprint_of(*message, raw);
  // Something unrecognisable is not matched: it would have nothing to apply.
  if (result.classification.type == InboundClass::unknown) return received;
  match(result, *message, sources);
  if (result.matched_by == MatchMethod::none && result.classification.type == InboundClass::reply) {
    // A reply counts only when it answers us: mail from a stranger is not a lead's reply.
    result.classification.type = InboundClass::unknown;
    result.classification.evidence.emplace_back("answers none of our messages and does not come from a lead");
  }
  return received;
}

}  // namespace detail

}  // namespace outreach
