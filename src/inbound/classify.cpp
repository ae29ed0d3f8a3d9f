#include "outreach/classify.hpp"

#include <algorithm>

#include "util/ascii.hpp"
#include "inbound/bounce_report.hpp"
#include "inbound/bounce_text.hpp"
#include "inbound/classify_auto_reply.hpp"
#include "inbound/classify_complaint.hpp"
#include "inbound/classify_input.hpp"
#include "inbound/classify_unsubscribe.hpp"

namespace outreach {

namespace {

constexpr std::string_view class_names[]{"reply", "auto_reply", "bounce", "unsubscribe", "complaint", "unknown"};

// The fields of mailing lists and bulk senders (RFC 2369, RFC 2919, RFC 8058).
constexpr std::string_view list_fields[]{"List-Id", "List-Unsubscribe", "List-Post"};
constexpr std::string_view bulk_precedences[]{"bulk", "list", "junk"};

// In-Reply-To first, then References from the newest; each id once.
std::vector<std::string> answered_ids(const MimePart& message) {
  std::vector<std::string> ids;
  const auto add = [&](std::string id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  };
  if (const std::string* in_reply_to = message.header("In-Reply-To")) {
    for (std::string& id : message_ids_in(*in_reply_to)) add(std::move(id));
  }
  if (const std::string* references = message.header("References")) {
    auto referenced = message_ids_in(*references);
    for (auto it = referenced.rbegin(); it != referenced.rend(); ++it) add(std::move(*it));
  }
  return ids;
}

// Read receipts (RFC 8098) report that a message was seen, not that anyone answered.
bool read_disposition_notification(const detail::Inbound& in, Classification& result) {
  const MimePart* report = detail::find_part(in.message, "multipart/report");
  const bool receipt = (report && detail::fold_text(report->parameter("report-type"), 64) == "disposition-notification") ||
                       detail::find_part(in.message, "message/disposition-notification");
  if (!receipt) return false;
  result.type = InboundClass::unknown;
  result.evidence.emplace_back("Content-Type: multipart/report; report-type=disposition-notification (a read receipt)");
  return true;
}

// The last rule: what is left is a person's answer, unless it comes from nobody, from an
// address nobody reads, from a mailing list, or says nothing at all.
void read_reply(const detail::Inbound& in, Classification& result) {
  result.type = InboundClass::unknown;
  if (in.from.empty()) {
    result.evidence.emplace_back("no From or Sender");
    return;
  }
  if (detail::is_unattended_address(in.from)) {
    result.evidence.push_back("From " + in.from + " (an address nobody reads)");
    return;
  }
  if (!in.answers) {
    for (std::string_view field : list_fields) {
      if (in.message.header(field)) {
        result.evidence.push_back(std::string(field) + " and no In-Reply-To (a mailing list or newsletter)");
        return;
      }
    }
    const std::string precedence = detail::folded_header(in.message, "Precedence");
    const std::string_view word = detail::first_word(precedence);
    if (std::find(std::begin(bulk_precedences), std::end(bulk_precedences), word) != std::end(bulk_precedences)) {
      result.evidence.push_back("Precedence: " + std::string(word) + " and no In-Reply-To (bulk mail)");
      return;
    }
    if (detail::trim(in.subject).empty() && detail::trim(in.body()).empty()) {
      result.evidence.emplace_back("empty message");
      return;
    }
  }
  result.type = InboundClass::reply;
  if (!result.answers.empty()) {
    result.evidence.push_back((in.message.header("In-Reply-To") ? "In-Reply-To: " : "References: ") + result.answers.front());
  } else {
    result.evidence.push_back("From " + in.from + " (a person; answers no message id)");
  }
}

}  // namespace

std::string_view to_string(InboundClass value) noexcept {
  const auto index = static_cast<std::size_t>(value);
  return index < std::size(class_names) ? class_names[index] : "unknown";
}

Classification classify(const MimePart& message, const ClassifyContext& context) {
  Classification result;
  const detail::Inbound in(message, context);
  result.from = in.from;
  result.answers = answered_ids(message);
  // Reports first (their From is a mail system, whatever they enclose), then a request to our
  // unsubscribe address (a mail program may send it on its own), then automatic answers, and
  // only then what a person wrote.
  const bool decided = detail::read_complaint(in, result) || detail::read_delivery_report(in, result) ||
                       read_disposition_notification(in, result) || detail::read_bounce_text(in, result) ||
                       detail::read_unsubscribe_address(in, context, result) || detail::read_auto_reply(in, result) ||
                       detail::read_unsubscribe_request(in, result);
  if (!decided) read_reply(in, result);
  for (std::string& line : result.evidence) line = detail::printable(line);
  return result;
}

}  // namespace outreach
