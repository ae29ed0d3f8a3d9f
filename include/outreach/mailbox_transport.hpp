/// @file mailbox_transport.hpp
/// @brief `MailboxTransport`: sends each message through its own mailbox's `transport` setting.
#pragma once

#include <map>
#include <string>

#include "outreach/outbox_transport.hpp"
#include "outreach/smtp_transport.hpp"
#include "outreach/transport.hpp"

namespace outreach {

/// @brief The transport of `outreach run`: each mailbox's `transport` decides where its messages
/// go. `smtp://` and `smtps://` mailboxes share one `SmtpTransport` (so each keeps its own
/// connections); `outbox:DIR` mailboxes write into that Maildir.
class MailboxTransport final : public Transport {
 public:
  /// @brief A transport with no connection or outbox open yet.
  /// @param smtp Settings of the SMTP transport.
  explicit MailboxTransport(SmtpOptions smtp = {});

  /// @brief Sends through the mailbox's transport. A mailbox without one, or an outbox that
  /// cannot be made, gives a temporary failure saying so.
  SendOutcome send(const Mailbox& mailbox, const Message& message) override;
  /// @brief The SMTP mailboxes' messages go to the SMTP transport as one group; outbox
  /// messages are written one by one.
  void send_all(std::span<const Handover> group, std::span<SendOutcome> outcomes) override;
  /// @brief What the SMTP transport can have in flight once an SMTP mailbox was checked (a
  /// campaign added with one); one message at a time for outbox mailboxes only.
  [[nodiscard]] std::size_t group_size() const override { return serves_smtp_ ? smtp_.group_size() : 1; }

  /// @brief Checks the mailbox's `transport`: set, and for SMTP what `SmtpTransport::check` checks.
  [[nodiscard]] expected<void> check(const Mailbox& mailbox) const override;

  /// @brief The SMTP transport the smtp:// and smtps:// mailboxes use.
  [[nodiscard]] SmtpTransport& smtp() noexcept { return smtp_; }

 private:
  SmtpTransport smtp_;
  mutable bool serves_smtp_ = false;  // set by `check`, which the engine calls for each mailbox
  std::map<std::string, OutboxTransport, std::less<>> outboxes_;  // by folder
};

}  // namespace outreach
