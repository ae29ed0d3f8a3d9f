#include "inbound/classify_unsubscribe.hpp"

#include <algorithm>

#include "util/ascii.hpp"
#include "inbound/phrase_matcher.hpp"

namespace outreach::detail {

namespace {

// The fields that say where a message was delivered.
constexpr std::string_view recipient_fields[]{"To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"};

// What a subject or a line says when it is nothing but a request.
constexpr std::string_view bare_requests[]{
    "unsubscribe", "unsubscribe me", "unsub", "remove", "remove me", "remove me from your list", "remove from list",
    "stop", "opt out", "opt-out", "optout", "take me off", "take me off your list", "abmelden", "abbestellen",
    "austragen", "désabonner", "se désabonner", "désinscrire", "désinscription", "désabonnement", "baja",
    "darse de baja", "darme de baja", "cancelar suscripción", "disiscrivi", "disiscrivimi", "cancellami",
    "cancellazione", "afmelden", "uitschrijven", "descadastrar", "descadastre", "cancelar inscrição",
    "avregistrera", "avsluta prenumeration", "wypisz", "wypisz mnie", "rezygnacja"};

// Words that may come with a bare request.
constexpr std::string_view courtesies[]{
    "please", "pls", "plz", "thanks", "thank", "you", "thx", "bitte", "danke", "merci", "svp", "gracias",
    "por", "favor", "grazie", "alstublieft", "graag", "bedankt", "obrigado", "obrigada", "tack", "proszę",
    "dziękuję", "hi", "hello"};

// Requests in so many words.
constexpr std::string_view request_phrases[]{
    // English
    "unsubscribe me", "please unsubscribe", "want to unsubscribe", "like to unsubscribe", "wish to unsubscribe",
    "be unsubscribed", "be removed", "remove me", "remove my email", "remove my e-mail", "remove my address", "remove my name",
    "remove us", "take me off", "take us off", "stop emailing", "stop e-mailing", "stop sending", "stop contacting",
    "stop mailing", "stop writing to me", "do not contact me", "don't contact me", "do not email me",
    "don't email me", "do not e-mail me", "don't e-mail me", "do not send me", "don't send me", "no more emails",
    "no more e-mails", "opt me out", "opt out", "delete my email", "delete my data", "delete me from",
    "leave me alone",
    // German
    "bitte abmelden", "melden sie mich ab", "abmelden", "austragen", "tragen sie mich", "abbestellen",
    "keine weiteren e-mails", "keine weiteren mails", "keine e-mails mehr", "keine mails mehr",
    "nicht mehr kontaktieren", "nicht mehr anschreiben", "aus ihrem verteiler", "aus dem verteiler",
    "löschen sie mich", "entfernen sie mich",
    // French
    "désabonner", "désinscrire", "désabonnez-moi", "désinscrivez-moi", "retirez-moi", "supprimez-moi",
    "ne plus recevoir", "ne me contactez plus", "me retirer de",
    // Spanish
    "darse de baja", "darme de baja", "dar de baja", "dadme de baja", "denme de baja", "cancelar suscripción",
    "cancelar mi suscripción", "elimíneme", "eliminarme", "elimine mi", "eliminen mi", "borren mi", "no me contacten", "no me escriban", "no quiero recibir",
    "quitarme de", "sacarme de",
    // Italian
    "cancellami", "cancellatemi", "rimuovetemi", "rimuovimi", "disiscrivi", "disiscrivermi", "non contattatemi",
    "non voglio ricevere", "non scrivetemi",
    // Dutch
    "afmelden", "uitschrijven", "verwijder mij", "verwijder me", "haal mij van", "haal me van", "niet meer mailen",
    "geen e-mails meer",
    // Portuguese
    "descadastrar", "me descadastre", "descadastre-me", "remover-me", "remova-me", "me remova", "remova meu",
    "remover meu", "retire meu", "me retire", "cancelar subscrição",
    "cancelar inscrição", "não quero receber", "não me contacte",
    // Swedish
    "avregistrera", "avsluta prenumeration", "ta bort mig", "sluta skicka", "sluta maila",
    // Polish
    "wypisz mnie", "wypiszcie mnie", "usuńcie mnie", "usuń mnie", "proszę usunąć", "nie kontaktujcie się",
    "rezygnuję", "nie chcę otrzymywać"};

// Words right before a request that turn it round ("please don't remove me").
constexpr std::string_view negations[]{"don't", "dont", "do not", "not", "never", "nicht", "niet"};

// Reply and forward prefixes of subjects, in several languages.
constexpr std::string_view subject_prefixes[]{"re", "aw", "sv", "fw", "fwd", "wg", "tr", "r", "rv",
                                              "antw", "vs", "odp", "res", "ref", "enc", "vl"};

constexpr std::size_t max_request_words = 60;
constexpr std::size_t negation_window = 12;

std::string_view without_mailto(std::string_view address) {
  address = trim(address);
  if (iequals_ascii(address.substr(0, 7), "mailto:")) address.remove_prefix(7);
  return address.substr(0, address.find('?'));
}

std::string_view without_prefixes(std::string_view subject) {
  for (int i = 0; i < 10; ++i) {
    subject = trim(subject);
    const std::size_t colon = subject.find(':');
    if (colon == std::string_view::npos || colon > 8) break;
    std::string_view prefix = trim(subject.substr(0, colon));
    if (const std::size_t bracket = prefix.find('['); bracket != std::string_view::npos) prefix = trim(prefix.substr(0, bracket));
    if (std::find(std::begin(subject_prefixes), std::end(subject_prefixes), prefix) == std::end(subject_prefixes)) break;
    subject.remove_prefix(colon + 1);
  }
  return subject;
}

// The words of a folded line, without punctuation and courtesies, joined by single spaces.
std::string request_words(std::string_view line) {
  std::string out;
  std::size_t i = 0;
  while (i < line.size()) {
    const auto is_part = [&](char c) { return is_word_byte(c) || c == '\'' || c == '-'; };
    while (i < line.size() && !is_part(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && is_part(line[i])) ++i;
    const std::string_view word = trim_chars(line.substr(start, i - start), "'-");
    if (word.empty() || std::find(std::begin(courtesies), std::end(courtesies), word) != std::end(courtesies)) continue;
    if (!out.empty()) out += ' ';
    out.append(word);
  }
  return out;
}

bool is_bare_request(std::string_view folded) {
  const std::string words = request_words(folded);
  return std::find(std::begin(bare_requests), std::end(bare_requests), words) != std::end(bare_requests);
}

std::size_t word_count(std::string_view text) {
  std::size_t count = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = is_space(c);
    if (!space && !in_word) ++count;
    in_word = !space;
  }
  return count;
}

// Whether a negation stands right before position `at` of `text`.
bool negated_at(std::string_view text, std::size_t at) {
  const std::size_t from = at > negation_window ? at - negation_window : 0;
  const std::string_view before = trim(text.substr(from, at - from));
  return std::any_of(std::begin(negations), std::end(negations), [&](std::string_view negation) {
    return before.ends_with(negation) && find_words(before, negation, before.size() - negation.size()) != std::string_view::npos;
  });
}

// The earliest request phrase of the table found in `text` with no negation before it, at its
// first such place; nothing when none is.
PhraseMatch<std::string_view> asked_request(std::string_view text) {
  PhraseMatch<std::string_view> asked;
  const auto consider = [&](const std::string_view& phrase, std::size_t at, std::size_t end) {
    // Places come in the order of the text: a phrase found once is kept.
    if ((asked && &phrase >= asked.entry) || negated_at(text, at)) return;
    asked = {&phrase, at, end};
  };
  matcher_of<request_phrases>().find(text).for_each(request_phrases, consider);
  return asked;
}

}  // namespace

bool read_unsubscribe_address(const Inbound& in, const ClassifyContext& context, Classification& result) {
  if (context.unsubscribe_addresses.empty()) return false;
  for (const HeaderField& header : in.message.headers) {
    const bool recipient_field = std::any_of(std::begin(recipient_fields), std::end(recipient_fields),
                                             [&](std::string_view name) { return iequals_ascii(header.name, name); });
    if (!recipient_field) continue;
    for (const std::string& address : addresses_in(header.value)) {
      for (const std::string& ours : context.unsubscribe_addresses) {
        if (!same_address(address, without_mailto(ours))) continue;
        result.type = InboundClass::unsubscribe;
        result.evidence.push_back(header.name + ": " + address + " (our unsubscribe address)");
        return true;
      }
    }
  }
  return false;
}

bool read_unsubscribe_request(const Inbound& in, Classification& result) {
  const std::string_view subject = without_prefixes(in.subject);
  if (is_bare_request(subject)) {
    result.type = InboundClass::unsubscribe;
    result.evidence.push_back(subject_evidence(in));
    return true;
  }
  const std::string_view text = in.new_text();
  if (text.empty() || word_count(text) > max_request_words) return false;
  LineReader lines(text);
  for (std::size_t start = 0; auto line = lines.next(); start = lines.position()) {
    if (!is_bare_request(*line)) continue;
    result.type = InboundClass::unsubscribe;
    result.evidence.push_back(text_evidence(in, start));
    return true;
  }
  if (const auto asked = asked_request(text)) {
    result.type = InboundClass::unsubscribe;
    result.evidence.push_back(text_evidence(in, asked.position));
    return true;
  }
  return false;
}

}  // namespace outreach::detail
