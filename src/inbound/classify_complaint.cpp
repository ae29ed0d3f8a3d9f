#include "inbound/classify_complaint.hpp"

#include <algorithm>

namespace outreach::detail {

namespace {

constexpr std::size_t max_report_bytes = 16 * 1024;
constexpr std::size_t max_report_fields = 100;

// RFC 5965 section 7.3 and RFC 6591: the types that are not a person calling our mail spam.
constexpr std::string_view not_complaints[]{"not-spam", "auth-failure"};

constexpr std::string_view jmrp_recipient_field = "X-HmXmrOriginalRecipient";

std::string address_of(const std::string* value) {
  if (!value) return {};
  auto address = first_address_in(*value);
  return address ? std::move(*address) : std::string{};
}

}  // namespace

bool read_complaint(const Inbound& in, Classification& result) {
  const auto& head = in.head;
  const MimePart* report = find_part(in.message, "message/feedback-report");
  const std::string* jmrp = head ? find_header(head->fields, jmrp_recipient_field) : nullptr;
  if (!report && !jmrp) return false;

  if (report) {
    const MimePart* container = find_part(in.message, "multipart/report");
    result.evidence.push_back(container ? "Content-Type: multipart/report; report-type=" +
                                              fold_text(container->parameter("report-type"), 64)
                                        : std::string("Content-Type: message/feedback-report"));
    const auto fields =
        parse_header_block(std::string_view(report->body).substr(0, max_report_bytes), max_report_fields);
    const std::string type(first_word(fold_text(find_header(fields, "Feedback-Type") ? *find_header(fields, "Feedback-Type") : "", 64)));
    result.evidence.push_back(type.empty() ? std::string("no Feedback-Type (taken as abuse)") : "Feedback-Type: " + type);
    if (std::find(std::begin(not_complaints), std::end(not_complaints), type) != std::end(not_complaints)) {
      result.type = InboundClass::unknown;
      return true;
    }
    for (std::string_view name : {"Original-Rcpt-To", "Removal-Recipient"}) {
      if (result.recipient.empty()) result.recipient = address_of(find_header(fields, name));
    }
  } else {
    result.evidence.push_back(std::string(jmrp_recipient_field) + ": " + quote(*jmrp));
    result.recipient = address_of(jmrp);
  }
  result.type = InboundClass::complaint;
  if (result.recipient.empty() && head) result.recipient = address_of(find_header(head->fields, "To"));
  find_original_message_id(in, head, result);
  return true;
}

}  // namespace outreach::detail
