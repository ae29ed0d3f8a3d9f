#include "outreach/outbox_transport.hpp"

#include <fstream>
#include <system_error>

namespace outreach {

namespace fs = std::filesystem;

expected<OutboxTransport> OutboxTransport::open(const fs::path& directory) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    fs::create_directories(directory / sub, ec);
    if (ec) {
      return fail(Errc::io_error, "cannot create the outbox folder: " + ec.message(),
                  Location::in((directory / sub).string()));
    }
  }
  return OutboxTransport(directory);
}

std::string OutboxTransport::file_name(std::string_view message_id) {
  if (message_id.size() >= 2 && message_id.front() == '<' && message_id.back() == '>') {
    message_id = message_id.substr(1, message_id.size() - 2);
  }
  std::string name;
  name.reserve(message_id.size() + 4);
  for (char c : message_id) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '-' || c == '_' || c == '@';
    name += keep ? c : '_';
  }
  if (name.empty() || name.front() == '.') name.insert(0, "_");
  return name + ".eml";
}

SendOutcome OutboxTransport::send(const Mailbox& /*mailbox*/, const Message& message) {
  const std::string name = file_name(message.message_id);
  const fs::path temporary = directory_ / "tmp" / name;
  const fs::path final_path = directory_ / "new" / name;
  SendOutcome failure;
  failure.kind = SendOutcome::Kind::temporary;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(message.data.data(), static_cast<std::streamsize>(message.data.size()));
    out.flush();
    if (!out) {
      failure.reason = "cannot write " + temporary.string();
      return failure;
    }
  }
  std::error_code ec;
  fs::rename(temporary, final_path, ec);
  if (ec) {
    failure.reason = "cannot move the message into " + (directory_ / "new").string() + ": " + ec.message();
    return failure;
  }
  return SendOutcome::accept(name);
}

}  // namespace outreach
