// What the engine's mailbox transport and mail reading and the standalone SMTP and IMAP clients
// share: reading the SMTP settings JSON, turning the host's callbacks into SmtpOptions and
// ImapOptions, and writing an outcome as JSON.
#pragma once

#include <string>
#include <string_view>

#include "outreach.h"
#include "outreach/imap_reader.hpp"
#include "outreach/smtp_transport.hpp"
#include "outreach/transport.hpp"

namespace outreach::capi {

/// Reads SMTP settings JSON into `options` (NULL leaves the defaults). `what` names the argument
/// in messages about the text itself. Returns a status; on failure the last error is set.
int read_smtp_settings(const char* json_text, std::string_view what, SmtpOptions& options);

/// Checks the host's callbacks (NULL: none) and installs them in `options`. Returns a status.
int install_smtp_callbacks(const outreach_smtp_callbacks* callbacks, std::string_view what, SmtpOptions& options);

/// Checks the host's IMAP callbacks (NULL: none) and installs them in `options`. Returns a status.
int install_imap_callbacks(const outreach_imap_callbacks* callbacks, std::string_view what, ImapOptions& options);

/// `{"kind", "code", "status", "reason", "queue_id", "maybe_delivered"}`, every key present and
/// every string valid UTF-8 (whatever the server sent).
[[nodiscard]] std::string outcome_json(const SendOutcome& outcome);

/// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD.
[[nodiscard]] std::string valid_utf8(std::string_view text);

}  // namespace outreach::capi
