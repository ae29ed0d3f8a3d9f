// compose_message: reads one JSON message draft from standard input and writes the composed
// message's bytes to standard output, so that tests can read them with an independent parser.
//
// The draft: {"from": "Name <a@b>", "to": "...", "subject": "...", "text": "...",
//             "html": "..." (optional), "message_id": "<id@domain>", "date": unix seconds,
//             "in_reply_to": "<id>", "references": ["<id>", ...],
//             "list_unsubscribe_url": "https://...", "list_unsubscribe_mailto": "a@b"}
// Exit status: 0 with the message on standard output; 2 with `error: ...` on standard error.
#include <boost/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "outreach/message.hpp"

namespace json = boost::json;

namespace {

outreach::expected<std::string> read_string(const json::value& value, std::string_view key) {
  if (!value.is_string()) {
    return outreach::fail(outreach::Errc::invalid_value, "must be a string", outreach::Location::at(std::string(key)));
  }
  return std::string(value.get_string());
}

outreach::expected<outreach::MessageDraft> read_draft(const json::value& document) {
  using outreach::Errc;
  using outreach::fail;
  using outreach::Location;
  if (!document.is_object()) return fail(Errc::invalid_value, "the draft must be a JSON object");
  outreach::MessageDraft draft;
  bool has_from = false;
  bool has_to = false;
  for (const auto& [key_view, value] : document.get_object()) {
    const std::string key(key_view);
    const auto text = [&](std::string& field) -> outreach::expected<void> {
      auto read = read_string(value, key);
      if (!read) return fail(read.error());
      field = std::move(*read);
      return {};
    };
    outreach::expected<void> read{};
    if (key == "from" || key == "to") {
      std::string address_text;
      read = text(address_text);
      if (read) {
        auto address = outreach::Address::parse(address_text);
        if (!address) return fail(address.error().under(key));
        (key == "from" ? draft.from : draft.to) = std::move(*address);
        (key == "from" ? has_from : has_to) = true;
      }
    } else if (key == "subject") {
      read = text(draft.subject);
    } else if (key == "text") {
      read = text(draft.text);
    } else if (key == "html") {
      if (!value.is_null()) {
        std::string html;
        read = text(html);
        draft.html = std::move(html);
      }
    } else if (key == "message_id") {
      read = text(draft.message_id);
    } else if (key == "in_reply_to") {
      read = text(draft.in_reply_to);
    } else if (key == "list_unsubscribe_url") {
      read = text(draft.list_unsubscribe_url);
    } else if (key == "list_unsubscribe_mailto") {
      read = text(draft.list_unsubscribe_mailto);
    } else if (key == "date") {
      if (!value.is_int64()) return fail(Errc::invalid_value, "must be an integer (unix seconds)", Location::at(key));
      draft.date = std::chrono::sys_seconds{std::chrono::seconds{value.get_int64()}};
    } else if (key == "references") {
      if (!value.is_array()) return fail(Errc::invalid_value, "must be an array of strings", Location::at(key));
      for (const json::value& id : value.get_array()) {
        auto read_id = read_string(id, key);
        if (!read_id) return fail(read_id.error());
        draft.references.push_back(std::move(*read_id));
      }
    } else {
      return fail(Errc::unknown_key, "unknown key", Location::at(key));
    }
    if (!read) return fail(read.error());
  }
  if (!has_from) return fail(Errc::missing_field, "missing", Location::at("from"));
  if (!has_to) return fail(Errc::missing_field, "missing", Location::at("to"));
  return draft;
}

int report(const outreach::Error& error) {
  std::cerr << "error: " << error.to_string() << '\n';
  return 2;
}

}  // namespace

int main() {
  const std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  boost::system::error_code parse_error;
  const json::value document = json::parse(input, parse_error);
  if (parse_error) {
    return report(outreach::Error(outreach::Errc::parse_error, "JSON: " + parse_error.message()));
  }
  auto draft = read_draft(document);
  if (!draft) return report(draft.error());
  auto message = outreach::compose(*draft);
  if (!message) return report(message.error());
  std::fwrite(message->data.data(), 1, message->data.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
