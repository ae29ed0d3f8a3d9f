#include "inbound/classify_input.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "util/ascii.hpp"
#include "inbound/classify_new_text.hpp"
#include "inbound/return_date.hpp"

namespace outreach::detail {

namespace {

// Deeper nesting than this is not a report's structure; the parser bounds it too.
constexpr std::size_t max_search_depth = 8;
constexpr std::size_t max_enclosed_header_bytes = 64 * 1024;
constexpr std::size_t max_enclosed_fields = 200;
// A quoted header line is at most this long (RFC 5322's limit), and only the first few count.
constexpr std::size_t max_header_line = 998;
constexpr std::size_t max_quoted_ids = 8;

constexpr std::string_view enclosed_message_types[]{"message/rfc822", "message/global"};
constexpr std::string_view enclosed_header_types[]{"text/rfc822-headers", "message/rfc822-headers",
                                                                 "message/global-headers", "text/rfc822-header"};

std::optional<std::string> header_address(const MimePart& message, std::string_view name) {
  const std::string* value = message.header(name);
  return value ? first_address_in(*value) : std::nullopt;
}

const MimePart* find_part_at(const MimePart& part, std::string_view type, std::size_t depth) noexcept {
  if (part.media_type == type) return &part;
  if (depth >= max_search_depth || !part.is("multipart/")) return nullptr;
  for (const MimePart& child : part.parts) {
    if (const MimePart* found = find_part_at(child, type, depth + 1)) return found;
  }
  return nullptr;
}

bool listed(std::span<const std::string_view> types, std::string_view type) noexcept {
  for (std::string_view t : types) {
    if (t == type) return true;
  }
  return false;
}

std::optional<EnclosedHead> enclosed_head_at(const MimePart& part, std::size_t depth) {
  for (const MimePart& child : part.parts) {
    if (listed(enclosed_message_types, child.media_type)) {
      // A message the parser left opaque (too deep) still starts with its header.
      if (!child.parts.empty()) return EnclosedHead{child.parts.front().headers, child.media_type};
      return EnclosedHead{parse_header_block(std::string_view(child.body).substr(0, max_enclosed_header_bytes),
                                             max_enclosed_fields),
                          child.media_type};
    }
    if (listed(enclosed_header_types, child.media_type)) {
      return EnclosedHead{
          parse_header_block(std::string_view(child.body).substr(0, max_enclosed_header_bytes), max_enclosed_fields),
          child.media_type};
    }
    if (depth < max_search_depth && child.is("multipart/")) {
      if (auto found = enclosed_head_at(child, depth + 1)) return found;
    }
  }
  return std::nullopt;
}

}  // namespace

Inbound::Inbound(const MimePart& message_, const ClassifyContext& context) : message(message_) {
  if (const std::string* value = message.header("Subject")) subject = fold_text(*value, classify_subject_bytes);
  text = readable_text(message, classify_text_bytes);
  folded = fold_text_mapped(text, text.size());
  new_text_size_ = new_text_of(folded.text).size();
  if (auto address = header_address(message, "From")) {
    from = std::move(*address);
  } else if (auto sender = header_address(message, "Sender")) {
    from = std::move(*sender);
  }
  from_field = folded_header(message, "From");
  answers = message.header("In-Reply-To") != nullptr || message.header("References") != nullptr;
  if (const std::string* date = message.header("Date")) sent = day_of_date_field(*date);
  if (!sent) sent = context.received;
  head = enclosed_head(message);
}

std::string folded_header(const MimePart& part, std::string_view name) {
  const std::string* value = part.header(name);
  return value ? fold_text(*value, classify_subject_bytes) : std::string{};
}

std::string_view first_word(std::string_view folded_value) noexcept {
  folded_value = trim(folded_value);
  const std::size_t end = folded_value.find_first_of("; \t(");
  return folded_value.substr(0, end);
}

const MimePart* find_part(const MimePart& message, std::string_view type) noexcept {
  return find_part_at(message, type, 0);
}

std::optional<EnclosedHead> enclosed_head(const MimePart& message) { return enclosed_head_at(message, 0); }

std::string subject_evidence(const Inbound& in) {
  const std::string* subject = in.message.header("Subject");
  return "subject \"" + quote(subject ? *subject : std::string_view{}) + "\"";
}

std::string text_evidence(const Inbound& in, std::size_t position) {
  const std::string_view body = in.body();
  const std::size_t end = std::min(body.find('\n', position), body.size());
  return "text \"" + quote(in.original(position, end)) + "\"";
}

void find_original_message_id(const Inbound& in, const std::optional<EnclosedHead>& head, Classification& result,
                              const std::vector<HeaderField>& report_fields) {
  // The first id of the field `name` of `fields`, taken with its evidence.
  const auto take = [&](const std::vector<HeaderField>& fields, std::string_view name, std::string_view where) {
    const std::string* value = find_header(fields, name);
    if (!value) return false;
    const auto ids = message_ids_in(*value);
    if (ids.empty()) return false;
    result.original_message_id = ids.front();
    result.evidence.push_back(std::string(where) + std::string(name) + ": " + ids.front());
    return true;
  };
  if (head && take(head->fields, "Message-ID", head->media_type + " ")) return;
  for (std::string_view name : {"X-Original-Message-ID", "Original-Message-ID"}) {
    if (take(report_fields, name, "") || take(in.message.headers, name, "")) return;
  }
  // A text bounce quotes the header of the message it returns: "Message-ID: <...>", possibly
  // with the id on the next line.
  const std::string_view body = in.body();
  const auto line_end = [&](std::size_t from) {
    return std::min({body.find('\n', from), body.size(), from + max_header_line});
  };
  std::size_t tries = 0;
  for (std::size_t at = find_words(body, "message-id:"); at != std::string_view::npos && tries < max_quoted_ids;
       at = find_words(body, "message-id:", at + 1), ++tries) {
    const std::size_t start = at + std::string_view{"message-id:"}.size();
    const std::size_t end = line_end(start);
    auto ids = message_ids_in(in.original(start, end));
    if (ids.empty() && end + 1 < body.size() && body[end] == '\n' && body[end + 1] == ' ') {
      ids = message_ids_in(in.original(end + 1, line_end(end + 1)));
    }
    if (!ids.empty()) {
      result.original_message_id = ids.front();
      result.evidence.push_back("quoted Message-ID: " + ids.front());
      return;
    }
  }
}

}  // namespace outreach::detail
