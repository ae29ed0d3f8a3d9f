// outreach_smtp_*: an SmtpTransport for hosts that compose their own messages, with the
// mailbox given as the campaign format's mailbox object and outcomes handed back as JSON.


#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "abi.hpp"
#include "handle_use.hpp"
#include "outreach/address.hpp"
#include "outreach/dkim.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/message.hpp"
#include "outreach/smtp_transport.hpp"
#include "mail_options.hpp"

using namespace outreach::capi;

/// The SMTP client handle. `transport` is declared last so that it is destroyed first: closing
/// it may still complete queued messages into `finished`.
struct outreach_smtp {
  explicit outreach_smtp(outreach::SmtpOptions options) : transport(std::move(options)) {}

  /// An outcome waiting to be given to its submit callback.
  struct Finished {
    outreach_smtp_done_fn done;
    void* user_data;
    std::string outcome_json;
  };
  std::vector<Finished> finished;

  /// Signers of the DKIM keys used so far: a key file is read once per handle.
  std::vector<std::pair<outreach::DkimSettings, outreach::DkimSigner>> signers;

  HandleLock lock;  // one thread at a time

  outreach::SmtpTransport transport;
};

namespace {

/// Holds the handle for one call: refuses a second thread and, from the handle's own
/// callbacks, everything but reading.
class SmtpUse : public HandleUse {
 public:
  SmtpUse(const outreach_smtp* smtp, Kind kind)
      : HandleUse(smtp->lock, kind,
                  "the SMTP client is running a call of this thread: from its callbacks, only "
                  "outreach_smtp_connections_opened may be used",
                  "the SMTP client is in use by another thread (it is used by one thread at a time)") {}
};

/// The mailbox object of the campaign format. Its sending limits mean nothing here, so the one
/// the format requires (`daily_limit`) may be left out.
int read_mailbox(const char* mailbox_json, outreach::Mailbox& mailbox) {
  auto parsed = outreach::parse_mailbox(mailbox_json);
  if (!parsed) return fail_with(parsed.error());
  mailbox = std::move(*parsed);
  return OUTREACH_OK;
}

/// An envelope address as SMTP sends it: checked, with its domain in IDNA A-labels.
int read_envelope_address(const char* text, std::string_view what, std::string& out) {
  outreach::Address address;
  address.email = text;
  if (auto valid = address.validate(); !valid) {
    return fail_with(outreach::Error(valid.error().code(), std::string(what) + ": not an address: " +
                                                               valid.error().message()));
  }
  auto domain = outreach::domain_to_ascii(address.domain());
  if (!domain) {
    return fail_with(outreach::Error(domain.error().code(), std::string(what) + ": " + domain.error().message()));
  }
  out.assign(address.local_part());
  out += '@';
  out += *domain;
  return OUTREACH_OK;
}

/// Message data goes into DATA as it is: a bare CR or LF, or a NUL, would reach the server as
/// something else than the host meant (or be refused by it).
int check_message_data(const char* data, std::size_t size) {
  const std::string_view text(data, size);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    std::string_view problem;
    if (c == '\0') {
      problem = "a NUL byte";
    } else if (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      problem = "a CR that does not end a line";
    } else if (c == '\n' && (i == 0 || text[i - 1] != '\r')) {
      problem = "a bare LF (lines end with CRLF)";
    }
    if (!problem.empty()) {
      return fail_with(OUTREACH_EVALUE, "data: " + std::string(problem) + " at byte " + std::to_string(i));
    }
  }
  return OUTREACH_OK;
}

/// The DKIM signer of the settings, loaded the first time they are used.
outreach::expected<const outreach::DkimSigner*> signer_for(outreach_smtp& smtp, const outreach::DkimSettings& settings) {
  for (const auto& [known, signer] : smtp.signers) {
    if (known == settings) return &signer;
  }
  auto loaded = outreach::DkimSigner::load(settings);
  if (!loaded) return outreach::fail(loaded.error());
  smtp.signers.emplace_back(settings, std::move(*loaded));
  return &smtp.signers.back().second;
}

/// Checks the arguments of a send or submit and makes the message (signed when the mailbox has
/// DKIM settings).
int prepare(outreach_smtp& smtp, const char* mailbox_json, const char* envelope_from, const char* envelope_to,
            const char* data, std::size_t size, int requires_smtputf8, outreach::Mailbox& mailbox,
            outreach::Message& message) {
  if (const int status = check_text(mailbox_json, "mailbox_json")) return status;
  if (const int status = check_text(envelope_from, "envelope_from")) return status;
  if (const int status = check_text(envelope_to, "envelope_to")) return status;
  if (!data && size != 0) return fail_with(OUTREACH_EINVAL, "data is NULL");
  if (const int status = check_message_data(data ? data : "", data ? size : 0)) return status;
  if (const int status = read_mailbox(mailbox_json, mailbox)) return status;
  if (auto usable = smtp.transport.check(mailbox); !usable) return fail_with(usable.error());

  if (*envelope_from != '\0') {
    if (const int status = read_envelope_address(envelope_from, "envelope_from", message.envelope_from)) return status;
  }
  if (const int status = read_envelope_address(envelope_to, "envelope_to", message.envelope_to)) return status;
  const auto non_ascii_local_part = [](const std::string& address) {
    outreach::Address parsed;
    parsed.email = address;
    return !address.empty() && parsed.needs_smtputf8();
  };
  message.requires_smtputf8 = requires_smtputf8 != 0 || non_ascii_local_part(message.envelope_from) ||
                              non_ascii_local_part(message.envelope_to);
  message.data.assign(data ? data : "", data ? size : 0);
  if (mailbox.dkim) {
    auto signer = signer_for(smtp, *mailbox.dkim);
    if (!signer) return fail_with(signer.error());
    auto signed_data = (*signer)->sign(message.data);
    if (!signed_data) return fail_with(signed_data.error());
    message.data = std::move(*signed_data);
  }
  return OUTREACH_OK;
}

/// Gives every finished message's outcome to its callback.
int deliver_outcomes(outreach_smtp& smtp) {
  auto finished = std::move(smtp.finished);
  smtp.finished.clear();
  int first_failure = 0;
  for (const auto& message : finished) {
    const int result = message.done(message.outcome_json.c_str(), message.user_data);
    if (result != 0 && first_failure == 0) first_failure = result;
  }
  if (first_failure != 0) {
    return fail_with(OUTREACH_ECALLBACK, "a done callback returned " + std::to_string(first_failure) +
                                             " (every message still got its outcome)");
  }
  return OUTREACH_OK;
}

}  // namespace

extern "C" {

OUTREACH_API int outreach_smtp_open(outreach_smtp** out, const char* settings_json,
                                    const outreach_smtp_callbacks* callbacks) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  return guarded([&] {
    outreach::SmtpOptions options;
    if (const int status = read_smtp_settings(settings_json, "settings_json", options)) return status;
    if (const int status = install_smtp_callbacks(callbacks, "callbacks", options)) return status;
    *out = new outreach_smtp(std::move(options));
    return OUTREACH_OK;
  });
}

OUTREACH_API int outreach_smtp_send(outreach_smtp* smtp, const char* mailbox_json, const char* envelope_from,
                                    const char* envelope_to, const char* data, size_t size, int requires_smtputf8,
                                    char** out_outcome_json) {
  if (const int status = check_not_null(out_outcome_json, "out_outcome_json")) return status;
  *out_outcome_json = nullptr;
  if (const int status = check_not_null(smtp, "smtp")) return status;
  return guarded([&] {
    SmtpUse use(smtp, SmtpUse::Kind::change);
    if (use.status()) return use.status();
    outreach::Mailbox mailbox;
    outreach::Message message;
    if (const int status =
            prepare(*smtp, mailbox_json, envelope_from, envelope_to, data, size, requires_smtputf8, mailbox, message)) {
      return status;
    }
    const outreach::SendOutcome outcome = smtp->transport.send(mailbox, message);
    return copy_out(outcome_json(outcome), out_outcome_json);
  });
}

OUTREACH_API int outreach_smtp_submit(outreach_smtp* smtp, const char* mailbox_json, const char* envelope_from,
                                      const char* envelope_to, const char* data, size_t size, int requires_smtputf8,
                                      outreach_smtp_done_fn done, void* user_data) {
  if (const int status = check_not_null(smtp, "smtp")) return status;
  if (!done) return fail_with(OUTREACH_EINVAL, "done is NULL");
  return guarded([&] {
    SmtpUse use(smtp, SmtpUse::Kind::change);
    if (use.status()) return use.status();
    outreach::Mailbox mailbox;
    outreach::Message message;
    if (const int status =
            prepare(*smtp, mailbox_json, envelope_from, envelope_to, data, size, requires_smtputf8, mailbox, message)) {
      return status;
    }
    // Outcomes wait in `finished` until flush, close or free hands them over, so that a callback
    // never runs inside the transport, nor inside this call.
    smtp->transport.submit(mailbox, std::move(message), [smtp, done, user_data](const outreach::SendOutcome& outcome) {
      smtp->finished.push_back({done, user_data, outcome_json(outcome)});
    });
    return OUTREACH_OK;
  });
}

OUTREACH_API int outreach_smtp_flush(outreach_smtp* smtp) {
  if (const int status = check_not_null(smtp, "smtp")) return status;
  return guarded([&] {
    SmtpUse use(smtp, SmtpUse::Kind::change);
    if (use.status()) return use.status();
    smtp->transport.flush();
    return deliver_outcomes(*smtp);
  });
}

OUTREACH_API int outreach_smtp_close(outreach_smtp* smtp) {
  if (const int status = check_not_null(smtp, "smtp")) return status;
  return guarded([&] {
    SmtpUse use(smtp, SmtpUse::Kind::change);
    if (use.status()) return use.status();
    smtp->transport.close();
    return deliver_outcomes(*smtp);
  });
}

OUTREACH_API int outreach_smtp_connections_opened(const outreach_smtp* smtp, size_t* out_count) {
  if (const int status = check_not_null(out_count, "out_count")) return status;
  *out_count = 0;
  if (const int status = check_not_null(smtp, "smtp")) return status;
  return guarded([&] {
    SmtpUse use(smtp, SmtpUse::Kind::read);
    if (use.status()) return use.status();
    *out_count = smtp->transport.connections_opened();
    return OUTREACH_OK;
  });
}

OUTREACH_API void outreach_smtp_free(outreach_smtp* smtp) {
  if (!smtp) return;
  // Freeing from one of the handle's own callbacks is forbidden; doing nothing beats a deadlock.
  if (smtp->lock.owner.load() == std::this_thread::get_id()) return;
  {
    // Held while the last callbacks run, so that they cannot use the handle.
    const std::lock_guard<std::mutex> held(smtp->lock.mutex);
    smtp->lock.owner.store(std::this_thread::get_id());
    try {
      smtp->transport.close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing can be reported from a free
    }
    for (const auto& message : smtp->finished) message.done(message.outcome_json.c_str(), message.user_data);
    smtp->finished.clear();
    smtp->lock.owner.store(std::thread::id());
  }
  delete smtp;
}

}  // extern "C"
