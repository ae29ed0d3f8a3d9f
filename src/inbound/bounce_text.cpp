#include "inbound/bounce_text.hpp"

#include <algorithm>

#include "util/ascii.hpp"
#include "inbound/bounce_status.hpp"
#include "inbound/phrase_matcher.hpp"

namespace outreach::detail {

namespace {

enum class Outcome : std::uint8_t { failed, delayed, either };

struct BounceForm {
  std::string_view phrase;
  std::string_view system;  // for the evidence
  Outcome outcome;
};

// Phrases only mail systems' failure reports use.
constexpr BounceForm known_forms[]{
    {"this is the qmail-send program", "qmail", Outcome::either},
    {"i wasn't able to deliver your message to the following addresses", "qmail", Outcome::failed},
    {"this message was created automatically by mail delivery software", "Exim", Outcome::either},
    {"could not be delivered to one or more of its recipients", "Exim", Outcome::failed},
    {"the following address(es) failed", "Exim", Outcome::failed},
    {"has not yet been delivered to one or more of its recipients", "Exim", Outcome::delayed},
    {"this is the mail system at host", "Postfix", Outcome::either},
    {"i'm sorry to have to inform you that your message could not", "Postfix", Outcome::failed},
    {"this is a warning only", "Postfix", Outcome::delayed},
    {"the following addresses had permanent fatal errors", "Sendmail", Outcome::failed},
    {"the following addresses had transient non-fatal errors", "Sendmail", Outcome::delayed},
    {"this is a warning message only", "Sendmail", Outcome::delayed},
    {"delivery has failed to these recipients or groups", "Exchange", Outcome::failed},
    {"delivery is delayed to these recipients or groups", "Exchange", Outcome::delayed},
    {"die übermittlung an folgende empfänger oder gruppen ist fehlgeschlagen", "Exchange", Outcome::failed},
    {"la remise aux destinataires ou groupes suivants a échoué", "Exchange", Outcome::failed},
    {"resolver.adr.recipnotfound", "Exchange", Outcome::failed},
    {"because the address couldn't be found, or is unable to receive mail", "Gmail", Outcome::failed},
    {"delivery to the following recipient failed permanently", "Gmail", Outcome::failed},
    {"delivery to the following recipient has been delayed", "Gmail", Outcome::delayed},
    {"there was a temporary problem delivering your message to", "Gmail", Outcome::delayed},
    {"sorry, we were unable to deliver your message to the following address", "Yahoo", Outcome::failed},
    {"was not delivered to:", "Lotus Domino", Outcome::failed},
    {"your message did not reach some or all of the intended recipients", "Lotus Notes", Outcome::failed},
    {"the following recipient(s) could not be reached", "Lotus Notes", Outcome::failed},
};

// What any report of a failed delivery may say.
constexpr std::string_view failure_phrases[]{
    "could not be delivered", "couldn't be delivered", "wasn't delivered", "was not delivered", "undeliverable",
    "undelivered", "delivery failed", "delivery has failed", "delivery failure", "failed permanently",
    "permanent error", "permanent failure", "unable to deliver", "could not deliver", "returned to sender",
    "address not found", "user unknown", "mailbox unavailable", "does not exist", "konnte nicht zugestellt werden",
    "unzustellbar", "n'a pas pu être remis", "no se pudo entregar", "no se puede entregar", "recapito non riuscito",
    "impossibile recapitare", "kan niet worden bezorgd", "onbestelbaar", "não foi possível entregar"};

// What a report of a delayed delivery says.
constexpr std::string_view delay_phrases[]{
    "has been delayed",         "is delayed",        "was delayed",       "delivery delayed",
    "not yet been delivered",   "will retry",        "will be retried",   "will continue to try",
    "will keep trying",         "delivery attempts will continue",         "still trying",
    "temporary problem",        "this is a warning", "verzögert",         "retardé"};

// What says a failure is final, whatever else the text says about delays.
constexpr std::string_view permanence_phrases[]{"permanent", "fatal error", "given up", "giving up",
                                                "not going to try again", "failed permanently"};

struct SubjectForm {
  std::string_view phrase;
  Outcome outcome;
};

constexpr SubjectForm bounce_subjects[]{
    {"undelivered mail returned to sender", Outcome::failed},
    {"delivery status notification (failure)", Outcome::failed},
    {"delivery status notification (delay)", Outcome::delayed},
    {"delivery status notification", Outcome::either},
    {"undeliverable", Outcome::failed},
    {"undelivered", Outcome::failed},
    {"mail delivery failed", Outcome::failed},
    {"returned mail", Outcome::failed},
    {"failure notice", Outcome::failed},
    {"delivery failure", Outcome::failed},
    {"delivery failed", Outcome::failed},
    {"message not delivered", Outcome::failed},
    {"delivery delayed", Outcome::delayed},
    {"delayed mail", Outcome::delayed},
    {"delivery delay", Outcome::delayed},
    {"warning: message", Outcome::delayed},
    {"delivery notification", Outcome::either},
    {"unzustellbar", Outcome::failed},
    {"nicht zustellbar", Outcome::failed},
    {"non remis", Outcome::failed},
    {"no se puede entregar", Outcome::failed},
    {"non recapitabile", Outcome::failed},
    {"onbestelbaar", Outcome::failed},
    {"não é possível entregar", Outcome::failed},
    {"kan inte levereras", Outcome::failed},
};

// The mail systems' own addresses and names.
constexpr std::string_view system_local_parts[]{"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"};
constexpr std::string_view system_names[]{"mail delivery system", "mail delivery subsystem", "mail delivery service",
                                          "mailer-daemon", "mail administrator", "postmaster"};

// Where a report ends and the copy of the returned message begins.
constexpr std::string_view copy_markers[]{
    "--- below this line is a copy of the message", "------ this is a copy of the message",
    "----- original message -----", "original message follows", "------- returned message",
    "----- unsent message follows -----", "----- message header follows -----",
    "--- the header of the original message is following"};

constexpr std::size_t max_report_bytes = 8 * 1024;
constexpr std::size_t recipient_window = 4 * 1024;
constexpr std::size_t max_diagnostic_bytes = 300;

bool is_system_address(std::string_view address) {
  const std::string folded = fold_text(address.substr(0, address.find('@')), 64);
  return std::find(std::begin(system_local_parts), std::end(system_local_parts), folded) != std::end(system_local_parts);
}

bool from_mail_system(const Inbound& in, std::string& clue) {
  if (!in.from.empty() && is_system_address(in.from)) {
    clue = "From " + in.from;
    return true;
  }
  if (const auto name = find_first<system_names>(in.from_field)) {
    clue = "From \"" + std::string(*name.entry) + "\"";
    return true;
  }
  return false;
}

// The first address in `report` from `from` that is neither ours nor a mail system's.
std::optional<std::string> reported_address(const Inbound& in, std::string_view report, std::size_t from) {
  const std::vector<std::string> ours = addresses_in(in.message.header("To") ? *in.message.header("To") : "");
  const std::size_t stop = std::min(report.size(), from + recipient_window);
  while (from < stop) {
    auto address = address_in_text(report, from, stop - from);
    if (!address) return std::nullopt;
    const bool own = std::any_of(ours.begin(), ours.end(), [&](const std::string& a) { return same_address(a, *address); });
    if (!own && !is_system_address(*address)) return address;
    const std::size_t at = report.find(*address, from);
    if (at == std::string_view::npos) return std::nullopt;
    from = at + address->size();
  }
  return std::nullopt;
}

// The server's words: from the code to the end of its line, as written.
std::string diagnostic_at(const Inbound& in, std::size_t at) {
  const std::string_view body = in.body();
  const std::size_t end = std::min(body.find('\n', at), body.size());
  return quote(trim_chars(in.original(at, end), "'\"()[]"), max_diagnostic_bytes);
}

}  // namespace

bool read_bounce_text(const Inbound& in, Classification& result) {
  // The report: the text before the copy of the returned message (whose words are ours).
  // One pass over the text finds the phrases of all the tables the report is read with.
  const std::string_view body = in.body();
  const PhraseHits phrases =
      matcher_of<copy_markers, known_forms, failure_phrases, delay_phrases, permanence_phrases>().find(body);
  const auto copy = phrases.first(copy_markers);
  const std::string_view report = body.substr(0, copy ? copy.position : body.size());

  const auto form = phrases.first(known_forms, report.size());
  const auto failure = phrases.first(failure_phrases, report.size());
  const auto delay = phrases.first(delay_phrases, report.size());
  const auto subject = find_first<bounce_subjects>(in.subject);
  std::string sender_clue;
  const bool from_system = from_mail_system(in, sender_clue);
  const bool null_path = in.message.header("Return-Path") && trim(*in.message.header("Return-Path")) == "<>";
  const bool says_failure = failure || delay || find_status_code(report.substr(0, max_report_bytes));
  // An empty Return-Path is also what RFC 3834 asks of auto-replies: alone with failure words
  // (an out-of-office saying replies "will be delayed") it is not enough.
  const bool bounce = form || (from_system && (subject || says_failure)) || (subject && (null_path || says_failure));
  if (!bounce) return false;

  result.type = InboundClass::bounce;
  if (form) result.evidence.push_back(std::string(form.entry->system) + " " + text_evidence(in, form.position));
  if (from_system) result.evidence.push_back(sender_clue);
  if (null_path) result.evidence.emplace_back("Return-Path: <>");
  if (subject) result.evidence.push_back(subject_evidence(in));

  // The system's own words start on the line of its telling phrase (else at the start).
  std::size_t start = 0;
  if (form) {
    const std::size_t line_end = report.rfind('\n', form.position);
    start = line_end == std::string_view::npos ? 0 : line_end + 1;
  }
  const std::string_view words = report.substr(0, std::min(report.size(), start + max_report_bytes));

  const auto& head = in.head;
  if (const std::string* failed = in.message.header("X-Failed-Recipients")) {
    if (auto address = first_address_in(*failed)) {
      result.recipient = std::move(*address);
      result.evidence.push_back("X-Failed-Recipients: " + result.recipient);
    }
  }
  if (result.recipient.empty()) {
    if (auto address = reported_address(in, words, start)) result.recipient = std::move(*address);
  }
  if (result.recipient.empty() && head) {
    if (const std::string* to = find_header(head->fields, "To")) {
      if (auto address = first_address_in(*to)) result.recipient = std::move(*address);
    }
  }

  const auto status = find_status_code(words, start);
  const auto reply = find_reply_code(words, start);
  if (status) {
    result.status = std::string(status->code);
    result.evidence.push_back("Status: " + result.status);
  }
  if (reply || status) result.diagnostic = diagnostic_at(in, reply ? reply->position : status->position);

  const bool delayed_form = form && form.entry->outcome == Outcome::delayed;
  const bool failed_form = form && form.entry->outcome == Outcome::failed;
  const bool delayed_subject = subject && subject.entry->outcome == Outcome::delayed;
  const bool permanent = phrases.first(permanence_phrases, words.size()).entry != nullptr;
  if ((delayed_form || delayed_subject || delay) && !failed_form && !permanent) {
    result.hard = false;
    result.evidence.push_back(delay ? "soft: text \"" + std::string(*delay.entry) + "\"" : std::string("soft: delivery delayed"));
  } else {
    const BounceKind kind = bounce_kind(result.status, reply ? reply->value : 0, words.substr(start));
    result.hard = kind.hard;
    result.evidence.push_back((kind.hard ? "hard: " : "soft: ") + kind.reason);
  }
  find_original_message_id(in, head, result);
  return true;
}

}  // namespace outreach::detail
