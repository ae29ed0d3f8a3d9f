#include "inbound/bounce_status.hpp"

#include <array>
#include <span>

#include "inbound/classify_text.hpp"
#include "inbound/phrase_matcher.hpp"

namespace outreach::detail {

namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

enum class Verdict : std::uint8_t { hard, soft, words_else_hard, words_else_soft };

struct StatusRule {
  std::string_view code;  // exact, or a prefix when it ends with '.'
  Verdict verdict;
  std::string_view meaning;
};

// RFC 3463 and the IANA registry of enhanced status codes; the first rule that fits applies.
constexpr StatusRule status_rules[]{
    {"5.1.7", Verdict::soft, "our sender's address is refused"},
    {"5.1.8", Verdict::soft, "our sender's domain is refused"},
    {"5.1.", Verdict::hard, "the address does not exist"},
    {"5.2.1", Verdict::hard, "the mailbox is disabled"},
    {"5.2.2", Verdict::soft, "the mailbox is full"},
    {"5.2.3", Verdict::soft, "the message is too large for the mailbox"},
    {"5.2.4", Verdict::soft, "a mailing list could not be expanded"},
    {"5.2.", Verdict::words_else_hard, "the mailbox cannot take mail"},
    {"5.3.0", Verdict::words_else_hard, "the mail system refused it"},
    {"5.3.", Verdict::soft, "the receiving mail system has a problem"},
    {"5.4.4", Verdict::hard, "the address's domain cannot be routed"},
    {"5.4.0", Verdict::words_else_hard, "the address could not be reached"},
    {"5.4.1", Verdict::words_else_hard, "the address could not be reached"},
    {"5.4.", Verdict::soft, "a network or routing problem"},
    {"5.5.", Verdict::words_else_soft, "a protocol problem"},
    {"5.6.", Verdict::soft, "the message's content was refused"},
    {"5.7.13", Verdict::hard, "the account is disabled"},
    {"5.7.17", Verdict::hard, "the mailbox's owner has changed"},
    {"5.7.18", Verdict::hard, "the domain's owner has changed"},
    {"5.7.", Verdict::words_else_soft, "refused by policy, not for the address"},
    {"5.", Verdict::words_else_hard, "a permanent failure"},
    {"4.", Verdict::soft, "a temporary failure"},
};

struct ReplyRule {
  int code;  // a basic code, or a class (5, 4) for the rest of it
  Verdict verdict;
  std::string_view meaning;
};

// RFC 5321 section 4.2.3, RFC 7504 (521, 556).
constexpr ReplyRule reply_rules[]{
    {551, Verdict::hard, "the user is not local"},
    {521, Verdict::hard, "the domain accepts no mail"},
    {556, Verdict::hard, "the domain accepts no mail"},
    {552, Verdict::soft, "storage exceeded"},
    {550, Verdict::words_else_hard, "mailbox unavailable"},
    {553, Verdict::words_else_hard, "mailbox name not allowed"},
    {554, Verdict::words_else_hard, "transaction failed"},
    {5, Verdict::words_else_soft, "a protocol problem"},
    {4, Verdict::soft, "a temporary failure"},
};

// What servers say when the address itself does not work.
constexpr std::string_view dead_address_words[]{
    "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient", "no such address",
    "unknown recipient", "recipient unknown", "unknown address", "address unknown", "addressee unknown",
    "invalid recipient", "recipient not found", "recipnotfound", "user not found", "mailbox not found",
    "mailbox unavailable", "mailbox does not exist", "mailbox is unavailable", "does not exist", "doesn't exist",
    "not exist", "address not found", "couldn't be found", "could not be found", "not a valid", "invalid mailbox",
    "invalid address", "bad destination mailbox", "unrouteable address", "unroutable address", "no mailbox",
    "no longer", "account disabled", "account is disabled", "account has been disabled", "is disabled",
    "deactivated", "inactive", "this user doesn't have", "not our customer", "domain not found",
    "recipient address rejected: access denied", "no valid recipients", "not listed in"};

// What servers say when the failure is about the message, the sender or a passing condition.
constexpr std::string_view passing_words[]{
    "mailbox full", "mailbox is full", "over quota", "quota exceeded", "exceeded storage", "exceeds storage",
    "insufficient storage", "storage allocation", "out of storage", "too large", "too big", "size limit",
    "exceeds the maximum", "spam", "blocked", "blacklist", "blocklist", "block list", "reputation", "policy",
    "rate limit", "too many", "try again later", "try again", "temporarily", "temporary", "dmarc", "spf",
    "dkim", "authentication", "not authorized", "unauthenticated", "relay", "greylist", "virus", "content"};

BounceKind decide(Verdict verdict, std::string_view clue, std::string_view meaning, std::string_view words) {
  const auto because = [&](std::string_view what) { return std::string(clue) + ": " + std::string(what); };
  if (verdict == Verdict::hard) return {true, because(meaning)};
  if (verdict == Verdict::soft) return {false, because(meaning)};
  const PhraseHits said = matcher_of<dead_address_words, passing_words>().find(words);
  const auto quoted = [](std::string_view word) { return "\"" + std::string(word) + "\""; };
  if (const auto dead = said.first(dead_address_words)) return {true, because(quoted(*dead.entry))};
  if (const auto passing = said.first(passing_words)) return {false, because(quoted(*passing.entry))};
  return {verdict == Verdict::words_else_hard, because(meaning)};
}

}  // namespace

std::optional<CodeMatch> find_status_code(std::string_view text, std::size_t from) noexcept {
  for (std::size_t i = from; i + 5 <= text.size(); ++i) {
    const char c = text[i];
    if (c != '2' && c != '4' && c != '5') continue;
    if (i > 0 && (is_word_byte(text[i - 1]) || text[i - 1] == '.')) continue;
    if (text[i + 1] != '.') continue;
    std::size_t j = i + 2;
    std::size_t digits = 0;
    while (j < text.size() && is_digit(text[j]) && digits < 4) ++j, ++digits;
    if (digits < 1 || digits > 3 || j >= text.size() || text[j] != '.') continue;
    ++j;
    digits = 0;
    while (j < text.size() && is_digit(text[j]) && digits < 4) ++j, ++digits;
    if (digits < 1 || digits > 3) continue;
    if (j < text.size() && (is_word_byte(text[j]) || (text[j] == '.' && j + 1 < text.size() && is_digit(text[j + 1])))) {
      continue;
    }
    return CodeMatch{i, text.substr(i, j - i)};
  }
  return std::nullopt;
}

std::optional<CodeMatch> find_reply_code(std::string_view text, std::size_t from) noexcept {
  constexpr std::string_view before = " \n#(:\"'=[";
  constexpr std::string_view after = " -).,:;\n";
  for (std::size_t i = from; i + 3 <= text.size(); ++i) {
    if ((text[i] != '4' && text[i] != '5') || !is_digit(text[i + 1]) || !is_digit(text[i + 2])) continue;
    if (i > 0 && before.find(text[i - 1]) == std::string_view::npos) continue;
    if (i + 3 < text.size() && after.find(text[i + 3]) == std::string_view::npos) continue;
    return CodeMatch{i, text.substr(i, 3), (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0')};
  }
  return std::nullopt;
}

BounceKind bounce_kind(std::string_view status, int reply_code, std::string_view words) {
  if (!status.empty()) {
    for (const StatusRule& rule : status_rules) {
      const bool fits = rule.code.back() == '.' ? status.starts_with(rule.code) : status == rule.code;
      if (fits) return decide(rule.verdict, status, rule.meaning, words);
    }
  }
  if (reply_code != 0) {
    for (const ReplyRule& rule : reply_rules) {
      if (rule.code == reply_code || rule.code == reply_code / 100) {
        return decide(rule.verdict, std::to_string(reply_code), rule.meaning, words);
      }
    }
  }
  return decide(Verdict::words_else_hard, "no status code", "a permanent failure", words);
}

}  // namespace outreach::detail
