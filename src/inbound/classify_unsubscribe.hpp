// Unsubscribe requests: mail to one of our unsubscribe addresses, and replies that ask to be sent
// nothing more.
#pragma once

#include "inbound/classify_input.hpp"
#include "outreach/classify.hpp"

namespace outreach::detail {

/// A message addressed (`To`, `Cc`, `Delivered-To`, `X-Original-To`, `Envelope-To`) to one of
/// `context.unsubscribe_addresses` (compared ASCII case-insensitively; a `mailto:` prefix and a
/// `?query` are ignored) is a request, whoever or whatever wrote it: mail programs send it when
/// their reader presses "unsubscribe".
/// @return Whether it is one (then `result` is filled).
[[nodiscard]] bool read_unsubscribe_address(const Inbound& in, const ClassifyContext& context,
                                            Classification& result);

/// A reply that asks to be sent nothing more, in English, German, French, Spanish, Italian,
/// Dutch, Portuguese, Swedish or Polish: its subject, without `Re:`-like prefixes and
/// punctuation, is only a request ("unsubscribe", "remove me", "stop", "abmelden",
/// "désabonner", "darse de baja", ...), or its new text (above the quoted history) is short —
/// at most 60 words — and either has a line that is only such a request (give or take "please"
/// and "thanks") or asks in so many words ("please remove me from your list", "take me off",
/// "stop emailing me", "do not contact me", "opt me out", "bitte austragen", "ne me contactez
/// plus", ...). The word "unsubscribe" inside a longer sentence ("I can't unsubscribe from my
/// gym, but let's talk") is no request, nor is anything in the quoted history (our own footer).
/// @return Whether it is one (then `result` is filled).
[[nodiscard]] bool read_unsubscribe_request(const Inbound& in, Classification& result);

}  // namespace outreach::detail
