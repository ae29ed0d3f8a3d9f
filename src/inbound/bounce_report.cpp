#include "inbound/bounce_report.hpp"

#include "util/ascii.hpp"
#include "inbound/bounce_status.hpp"

namespace outreach::detail {

namespace {

constexpr std::size_t max_status_bytes = 64 * 1024;
constexpr std::size_t max_blocks = 100;
constexpr std::size_t max_block_fields = 50;
constexpr std::size_t max_diagnostic_bytes = 300;

constexpr std::string_view status_types[]{"message/delivery-status", "message/global-delivery-status"};

// One per-recipient block of a report, as far as the classifier needs it.
struct RecipientBlock {
  std::string action;  // folded: failed, delayed, delivered, relayed, expanded
  std::string status;
  std::string diagnostic;
  std::string recipient;
};

// The fields of each block of a status part (blocks are separated by empty lines; the first is
// the per-message block, which a careless MTA may run together with the first recipient's).
std::vector<std::vector<HeaderField>> blocks_of(std::string_view body) {
  std::vector<std::vector<HeaderField>> blocks;
  body = body.substr(0, max_status_bytes);
  LineReader lines(body);
  std::size_t start = 0;
  const auto close = [&](std::size_t end) {
    if (end > start && blocks.size() < max_blocks) blocks.push_back(parse_header_block(body.substr(start, end - start), max_block_fields));
  };
  for (std::size_t line_start = 0; auto line = lines.next(); line_start = lines.position()) {
    if (trim(*line).empty()) {
      close(line_start);
      start = lines.position();
    }
  }
  close(body.size());
  return blocks;
}

std::string_view field(const std::vector<HeaderField>& fields, std::string_view name) {
  const std::string* value = find_header(fields, name);
  return value ? std::string_view(*value) : std::string_view{};
}

// "smtp; 550 5.1.1 <bob@x>: user unknown" -> "550 5.1.1 <bob@x>: user unknown".
std::string diagnostic_words(std::string_view value) {
  if (const std::size_t semicolon = value.find(';'); semicolon != std::string_view::npos && semicolon < 16) {
    value = value.substr(semicolon + 1);
  }
  // An unfolded field keeps the white space its continuation lines began with.
  std::string words;
  for (char c : value.substr(0, 4 * max_diagnostic_bytes)) {
    if (is_space(c) && (words.empty() || words.back() == ' ')) continue;
    words.push_back(is_space(c) ? ' ' : c);
  }
  return quote(words, max_diagnostic_bytes);
}

std::optional<RecipientBlock> recipient_block(const std::vector<HeaderField>& fields) {
  RecipientBlock block;
  for (std::string_view name : {"Original-Recipient", "Final-Recipient", "X-Actual-Recipient"}) {
    if (auto address = first_address_in(field(fields, name))) {
      block.recipient = std::move(*address);
      break;
    }
  }
  block.action = std::string(first_word(fold_text(field(fields, "Action"), 64)));
  if (auto code = find_status_code(field(fields, "Status"))) block.status = std::string(code->code);
  block.diagnostic = diagnostic_words(field(fields, "Diagnostic-Code"));
  if (block.recipient.empty() && block.action.empty() && block.status.empty()) return std::nullopt;
  if (block.action.empty() && !block.status.empty()) {
    // RFC 3464 requires Action; without it the status class says what happened.
    block.action = block.status.front() == '5' ? "failed" : block.status.front() == '4' ? "delayed" : "delivered";
  }
  return block;
}

// The code the server's words state, when `Status` is missing or says only its class (5.0.0).
void refine_status(RecipientBlock& block) {
  const auto stated = find_status_code(block.diagnostic);
  if (!stated) return;
  const bool generic = block.status.size() == 5 && block.status.ends_with(".0.0");
  if (block.status.empty() || (generic && stated->code.front() == block.status.front())) block.status = stated->code;
}

}  // namespace

bool read_delivery_report(const Inbound& in, Classification& result) {
  const MimePart* status_part = nullptr;
  for (std::string_view type : status_types) {
    if ((status_part = find_part(in.message, type))) break;
  }
  if (!status_part) return false;
  const MimePart* report = find_part(in.message, "multipart/report");
  const std::string report_type = report ? fold_text(report->parameter("report-type"), 64) : std::string{};
  result.evidence.push_back(report ? "Content-Type: multipart/report; report-type=" + report_type
                                   : "Content-Type: " + status_part->media_type);

  std::optional<RecipientBlock> failed;
  std::optional<RecipientBlock> delayed;
  std::string other_actions;
  const auto blocks = blocks_of(status_part->body);
  for (const auto& fields : blocks) {
    auto block = recipient_block(fields);
    if (!block) continue;
    if (block->action == "failed") {
      if (!failed) failed = std::move(block);
    } else if (block->action == "delayed") {
      if (!delayed) delayed = std::move(block);
    } else if (other_actions.find(block->action) == std::string::npos) {
      other_actions += other_actions.empty() ? block->action : ", " + block->action;
    }
  }
  if (!failed && !delayed) {
    result.type = InboundClass::unknown;
    result.evidence.push_back(other_actions.empty() ? std::string("no recipient failed or was delayed")
                                                    : "Action: " + other_actions + " (nothing failed)");
    return true;
  }
  RecipientBlock& block = failed ? *failed : *delayed;
  refine_status(block);
  result.type = InboundClass::bounce;
  result.status = block.status;
  result.diagnostic = block.diagnostic;
  result.recipient = block.recipient;
  result.evidence.push_back("Action: " + block.action);
  if (!block.status.empty()) result.evidence.push_back("Status: " + block.status);
  if (!block.diagnostic.empty()) result.evidence.push_back("Diagnostic-Code: " + quote(block.diagnostic, 80));
  if (failed) {
    const auto reply = find_reply_code(block.diagnostic);
    const BounceKind kind =
        bounce_kind(block.status, reply ? reply->value : 0, fold_text(block.diagnostic, 1024));
    result.hard = kind.hard;
    result.evidence.push_back((kind.hard ? "hard: " : "soft: ") + kind.reason);
  } else {
    result.hard = false;
    result.evidence.push_back("soft: delivery delayed, will be retried");
  }
  const auto head = report && report != &in.message ? enclosed_head(*report) : in.head;
  if (result.recipient.empty() && head) {
    if (const std::string* to = find_header(head->fields, "To")) {
      if (auto address = first_address_in(*to)) result.recipient = std::move(*address);
    }
  }
  find_original_message_id(in, head, result, blocks.empty() ? std::vector<HeaderField>{} : blocks.front());
  return true;
}

}  // namespace outreach::detail
