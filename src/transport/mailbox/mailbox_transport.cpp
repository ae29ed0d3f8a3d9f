#include "outreach/mailbox_transport.hpp"

#include <string_view>
#include <vector>

namespace outreach {

namespace {

constexpr std::string_view outbox_scheme = "outbox:";

bool is_outbox(const Mailbox& mailbox) { return mailbox.transport.starts_with(outbox_scheme); }

SendOutcome temporary(std::string reason) {
  SendOutcome outcome;
  outcome.kind = SendOutcome::Kind::temporary;
  outcome.reason = std::move(reason);
  return outcome;
}

}  // namespace

MailboxTransport::MailboxTransport(SmtpOptions smtp) : smtp_(std::move(smtp)) {}

SendOutcome MailboxTransport::send(const Mailbox& mailbox, const Message& message) {
  if (mailbox.transport.empty()) return temporary("mailbox \"" + mailbox.id + "\" has no transport");
  if (!is_outbox(mailbox)) return smtp_.send(mailbox, message);
  const std::string_view folder = std::string_view(mailbox.transport).substr(outbox_scheme.size());
  auto found = outboxes_.find(folder);
  if (found == outboxes_.end()) {
    auto opened = OutboxTransport::open(std::string(folder));
    if (!opened) return temporary(opened.error().message() + " (" + std::string(folder) + ")");
    found = outboxes_.emplace(std::string(folder), std::move(*opened)).first;
  }
  return found->second.send(mailbox, message);
}

void MailboxTransport::send_all(std::span<const Handover> group, std::span<SendOutcome> outcomes) {
  std::vector<Handover> smtp_group;
  std::vector<std::size_t> smtp_places;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const Mailbox& mailbox = *group[i].mailbox;
    if (mailbox.transport.empty() || is_outbox(mailbox)) {
      outcomes[i] = send(mailbox, *group[i].message);
    } else {
      smtp_group.push_back(group[i]);
      smtp_places.push_back(i);
    }
  }
  if (smtp_group.empty()) return;
  std::vector<SendOutcome> smtp_outcomes(smtp_group.size());
  smtp_.send_all(smtp_group, smtp_outcomes);
  for (std::size_t i = 0; i < smtp_group.size(); ++i) outcomes[smtp_places[i]] = std::move(smtp_outcomes[i]);
}

expected<void> MailboxTransport::check(const Mailbox& mailbox) const {
  if (mailbox.transport.empty()) return fail(Errc::invalid_value, "mailbox \"" + mailbox.id + "\" has no transport");
  if (is_outbox(mailbox)) return {};
  auto usable = smtp_.check(mailbox);
  if (usable) serves_smtp_ = true;
  return usable;
}

}  // namespace outreach
