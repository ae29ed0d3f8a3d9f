// Finding the phrases of the classifier's tables in a text: one pass over the text for all the
// phrases of several tables (Aho-Corasick), with the whole-word rule of `find_words`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace outreach::detail {

/// The phrase of a table entry: the entry itself for a plain table, its `phrase` member for a
/// table of structs.
[[nodiscard]] constexpr std::string_view phrase_of(std::string_view entry) noexcept { return entry; }
template <class Entry>
[[nodiscard]] constexpr std::string_view phrase_of(const Entry& entry) noexcept {
  return entry.phrase;
}

/// Where an entry of a phrase table was found.
template <class Entry>
struct PhraseMatch {
  const Entry* entry = nullptr;  ///< The entry found; null when none was.
  std::size_t position = 0;      ///< Where its phrase starts.
  std::size_t end = 0;           ///< Where its phrase ends.

  explicit operator bool() const noexcept { return entry != nullptr; }
};

/// The type of the entries of a table (an array or a span).
template <class Table>
using EntryOf = std::remove_cvref_t<decltype(*std::data(std::declval<const Table&>()))>;

class PhraseHits;

/// The phrases of several tables, searched for all at once: an Aho-Corasick automaton over all
/// of them, so that a text is read once whatever the number of phrases. Building it costs far
/// more than a search: build each once (see `matcher_of`).
///
/// A phrase is found as `find_words` finds it: byte for byte (the phrases and the text are both
/// folded, see `fold_text`), as whole words — when the phrase begins (ends) with an ASCII letter
/// or digit, the byte before (after) it must not be a word byte (`is_word_byte`). An empty
/// phrase is never found.
class PhraseMatcher {
 public:
  /// The automaton of the phrases of `tables`: arrays or spans of entries (see `phrase_of`),
  /// which must outlive it. A table is known by its address in the searches.
  template <class... Tables>
  explicit PhraseMatcher(const Tables&... tables) {
    (add_table(std::data(tables), std::size(tables)), ...);
    build();
  }

  /// Every phrase found in `text` (which the result refers to, as it refers to this matcher).
  [[nodiscard]] PhraseHits find(std::string_view text) const;

 private:
  friend class PhraseHits;

  struct Phrase {
    std::string_view text;
    std::size_t table = 0;
    std::size_t entry = 0;
    bool bounded_start = false;  // begins with an ASCII letter or digit
    bool bounded_end = false;    // ends with one
  };

  template <class Entry>
  void add_table(const Entry* entries, std::size_t count) {
    tables_.push_back(entries);
    for (std::size_t i = 0; i < count; ++i) add_phrase(phrase_of(entries[i]), i);
  }
  void add_phrase(std::string_view text, std::size_t entry);
  void build();
  // Records the phrases that end in the state of `row`, at `end` of the text.
  [[gnu::noinline]] void add_hits(PhraseHits& hits, std::uint32_t row, std::size_t end) const;
  [[nodiscard]] std::size_t table_index(const void* entries) const noexcept;

  std::vector<const void*> tables_;
  std::vector<Phrase> phrases_;
  // Bytes that occur in no phrase share class 0, so that a state has one transition per class.
  std::array<std::uint8_t, 256> byte_class_{};
  std::size_t classes_ = 1;
  // The automaton as a table: per state, the transition of each class, given as the offset of
  // the target state's row, with `has_output` set when phrases end in that state.
  std::vector<std::uint32_t> next_;
  // The phrases that end in state s: outputs_[output_begin_[s], output_begin_[s + 1]).
  std::vector<std::uint32_t> output_begin_;
  std::vector<std::uint32_t> outputs_;
};

/// The phrases a `PhraseMatcher` found in a text, asked about one table at a time and, when the
/// rule reads only the start of the text, about its first `size` bytes: the answers are those
/// a search of `text.substr(0, size)` alone would give.
class PhraseHits {
 public:
  /// Calls `visit(entry, position, end)` for each occurrence of a phrase of `table` (one of the
  /// matcher's) as whole words in the first `size` bytes of the text, in the order of their ends.
  template <class Table, class Visit>
  void for_each(const Table& table, Visit&& visit, std::size_t size = std::string_view::npos) const {
    const std::size_t table_index = matcher_->table_index(std::data(table));
    for (const Hit& hit : hits_) {
      const PhraseMatcher::Phrase& phrase = matcher_->phrases_[hit.phrase];
      if (phrase.table != table_index || !whole_words(hit, size)) continue;
      visit(std::data(table)[phrase.entry], hit.position, hit.position + phrase.text.size());
    }
  }

  /// The entry of `table` whose phrase occurs first in the first `size` bytes of the text, ties
  /// going to the earlier entry.
  template <class Table>
  [[nodiscard]] PhraseMatch<EntryOf<Table>> first(const Table& table, std::size_t size = std::string_view::npos) const {
    PhraseMatch<EntryOf<Table>> best;
    for_each(table, [&](const EntryOf<Table>& entry, std::size_t position, std::size_t end) {
      if (!best || position < best.position || (position == best.position && &entry < best.entry)) {
        best = {&entry, position, end};
      }
    }, size);
    return best;
  }

  /// The earliest entry of `table` whose phrase the text starts with (as whole words), or null.
  template <class Table>
  [[nodiscard]] const EntryOf<Table>* at_start(const Table& table) const {
    const EntryOf<Table>* found = nullptr;
    for_each(table, [&](const EntryOf<Table>& entry, std::size_t position, std::size_t) {
      if (position == 0 && (!found || &entry < found)) found = &entry;
    });
    return found;
  }

 private:
  friend class PhraseMatcher;

  struct Hit {
    std::uint32_t phrase;  // index in the matcher's phrases
    std::size_t position;
  };

  PhraseHits(const PhraseMatcher& matcher, std::string_view text) noexcept : matcher_(&matcher), text_(text) {}

  // Whether the hit stands as whole words in the text cut after `size` bytes.
  [[nodiscard]] bool whole_words(const Hit& hit, std::size_t size) const noexcept;

  const PhraseMatcher* matcher_;
  std::string_view text_;
  std::vector<Hit> hits_;  // every occurrence, whole words or not, in the order of their ends
};

/// The matcher of `tables`, built the first time it is asked for (thread-safe) and kept.
template <const auto&... tables>
[[nodiscard]] const PhraseMatcher& matcher_of() {
  static const PhraseMatcher matcher(tables...);
  return matcher;
}

/// The entry of `table` whose phrase occurs first in `text` (as whole words), ties going to the
/// earlier entry.
template <const auto& table>
[[nodiscard]] PhraseMatch<EntryOf<decltype(table)>> find_first(std::string_view text) {
  return matcher_of<table>().find(text).first(table);
}

}  // namespace outreach::detail
