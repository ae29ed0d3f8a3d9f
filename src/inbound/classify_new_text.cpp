#include "inbound/classify_new_text.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "util/ascii.hpp"
#include "inbound/classify_text.hpp"
#include "inbound/phrase_matcher.hpp"

namespace outreach::detail {

namespace {

// "On Mon, 1 Dec 2026, Alice <alice@x> wrote:" and its translations: how the line ends, and how
// it (or the line before it, when the mail program wrapped it) begins.
constexpr std::string_view attribution_endings[]{
    "wrote:",    "wrote :",   "schrieb:",   "a écrit :", "a écrit:",  "escribió:",   "ha scritto:", "schreef:",
    "escreveu:", "skrev:",    "napisał:",   "napisała:", "napisał(a):", "kirjoitti:", "написал:",    "написала:",
    "napsal:"};
// Where the verb comes before the name ("Am ... schrieb Alice <alice@x>:"), the verb itself.
constexpr std::string_view attribution_verbs[]{"schrieb", "schreef", "skrev", "wrote", "escribió", "napisał", "napsal"};
constexpr std::string_view attribution_starts[]{"on ", "am ",   "le ",     "el ",    "il ", "op ",
                                                              "em ", "den ",  "dnia ",   "w dniu ", "dne "};

// Lines that start quoted or forwarded history, or a signature that ends the new text.
constexpr std::string_view history_starts[]{
    "-----original message-----",   "-----ursprüngliche nachricht-----", "-----message d'origine-----",
    "-----mensaje original-----",   "-----messaggio originale-----",     "-----oorspronkelijk bericht-----",
    "-----mensagem original-----",  "-----ursprungligt meddelande-----", "-----oryginalna wiadomość-----",
    "-------- original message",    "-------- ursprüngliche nachricht",  "-------- message original",
    "---------- forwarded message", "---------- weitergeleitete nachricht", "---------- message transféré",
    "begin forwarded message:",     "anfang der weitergeleiteten",       "sent from my ",
    "envoyé de mon ",               "enviado desde mi ",                 "von meinem ",
    "get outlook for "};

// Outlook quotes the message it answers under a head: a "From:" line, then "Sent:", "Date:" or
// "To:" (in the reader's language).
constexpr std::string_view quoted_from_labels[]{"from:", "von:", "de:",  "de :",  "da:",        "van:",
                                                              "från:", "od:",  "fra:", "от:",   "lähettäjä:"};
constexpr std::string_view quoted_next_labels[]{
    "sent:",   "date:", "to:",   "subject:", "gesendet:", "datum:",    "an:",      "envoyé :", "envoyé:",
    "date :",  "à :",   "enviado:", "fecha:", "para:",    "inviato:", "data:",    "a:",       "verzonden:",
    "aan:",    "skickat:", "till:", "wysłano:", "do:",    "sendt:",   "til:",     "отправлено:"};

// Every line is tried: its first byte rules out most prefixes without a memcmp.
bool starts_with_any(std::string_view line, std::span<const std::string_view> prefixes) noexcept {
  return !line.empty() && std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) {
    return p.front() == line.front() && line.starts_with(p);
  });
}

bool ends_with_any(std::string_view line, std::span<const std::string_view> suffixes) noexcept {
  return std::any_of(suffixes.begin(), suffixes.end(), [&](std::string_view s) { return line.ends_with(s); });
}

bool is_rule(std::string_view line) noexcept {
  return line.size() >= 10 && std::all_of(line.begin(), line.end(), [](char c) { return c == '_'; });
}

}  // namespace

std::string_view new_text_of(std::string_view text) noexcept {
  LineReader lines(text);
  std::size_t start = 0;
  std::size_t previous_start = 0;
  std::string_view previous;
  std::size_t cut = text.size();
  while (auto line = lines.next()) {
    const std::string_view t = trim(*line);
    bool history = t.starts_with('>') || starts_with_any(t, history_starts) || is_rule(t) || t == "--";
    std::size_t at = start;
    if (!history && t.ends_with(':')) {
      const bool opens = starts_with_any(t, attribution_starts);
      const bool wrapped = !opens && starts_with_any(previous, attribution_starts);
      if (ends_with_any(t, attribution_endings)) {
        history = opens || wrapped || t.find('@') != std::string_view::npos;
      } else if (opens || wrapped) {
        const auto names_verb = [](std::string_view words) {
          return find_first<attribution_verbs>(words).entry != nullptr;
        };
        history = names_verb(t) || (wrapped && names_verb(previous));
      }
      if (history && wrapped) at = previous_start;
    }
    if (!history && starts_with_any(t, quoted_from_labels)) {
      LineReader after(text, lines.position());
      const auto next = after.next();
      history = next && starts_with_any(trim(*next), quoted_next_labels);
    }
    if (history) {
      cut = at;
      break;
    }
    previous_start = start;
    previous = t;
    start = lines.position();
  }
  std::string_view out = text.substr(0, cut);
  while (!out.empty() && is_space(out.back())) out.remove_suffix(1);
  return out;
}

}  // namespace outreach::detail
