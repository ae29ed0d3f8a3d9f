// The classifier's multi-phrase matcher: it finds what a search of one phrase at a time with
// `find_words` finds, in one pass over the text.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "inbound/classify_text.hpp"
#include "inbound/phrase_matcher.hpp"

using outreach::detail::find_words;
using outreach::detail::PhraseHits;
using outreach::detail::PhraseMatch;
using outreach::detail::PhraseMatcher;

namespace {

constexpr std::size_t npos = std::string_view::npos;

struct Labelled {
  std::string_view phrase;
  int label;
};

constexpr std::string_view greetings[]{"hello", "hello world", "world", "lo w", "\xE4\xB8\x8D\xE5\x9C\xA8"};  // 不在
constexpr Labelled labelled[]{{"world", 1}, {"auto:", 2}, {"o", 3}};
constexpr std::string_view empty_phrase[]{""};

// The oracle: one phrase at a time, as the classifier searched before it had a matcher.
using Occurrence = std::tuple<std::size_t, std::size_t>;  // entry, position

std::vector<Occurrence> naive_occurrences(std::string_view text, const std::vector<std::string_view>& table) {
  std::vector<Occurrence> found;
  for (std::size_t entry = 0; entry < table.size(); ++entry) {
    for (std::size_t at = find_words(text, table[entry]); at != npos; at = find_words(text, table[entry], at + 1)) {
      found.emplace_back(entry, at);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// The entry found first in the text and where, ties going to the earlier entry; npos for none.
Occurrence naive_first(std::string_view text, const std::vector<std::string_view>& table) {
  Occurrence best{npos, npos};
  for (std::size_t entry = 0; entry < table.size(); ++entry) {
    const std::size_t at = find_words(text, table[entry]);
    if (at != npos && (std::get<0>(best) == npos || at < std::get<1>(best))) best = {entry, at};
  }
  return best;
}

std::size_t naive_at_start(std::string_view text, const std::vector<std::string_view>& table) {
  for (std::size_t entry = 0; entry < table.size(); ++entry) {
    const std::string_view phrase = table[entry];
    if (text.starts_with(phrase) && find_words(text.substr(0, phrase.size() + 1), phrase) == 0) return entry;
  }
  return npos;
}

std::vector<Occurrence> occurrences(const PhraseHits& hits, const std::vector<std::string_view>& table,
                                    std::size_t size) {
  std::vector<Occurrence> found;
  hits.for_each(table, [&](const std::string_view& entry, std::size_t position, std::size_t end) {
    CHECK(end == position + entry.size());
    found.emplace_back(static_cast<std::size_t>(&entry - table.data()), position);
  }, size);
  std::sort(found.begin(), found.end());
  return found;
}

Occurrence first(const PhraseHits& hits, const std::vector<std::string_view>& table, std::size_t size) {
  const PhraseMatch<std::string_view> found = hits.first(table, size);
  if (!found) return {npos, npos};
  CHECK(found.end == found.position + found.entry->size());
  return {static_cast<std::size_t>(found.entry - table.data()), found.position};
}

}  // namespace

TEST_SUITE("inbound") {

TEST_CASE("phrase matcher: finds whole words, the first in the text, ties to the earlier entry") {
  const PhraseMatcher matcher(greetings, labelled);
  const PhraseHits hits = matcher.find("say hello world, auto: 不在");
  const auto greeting = hits.first(greetings);
  REQUIRE(greeting);
  CHECK(*greeting.entry == "hello");  // "hello world" starts there too, later in the table
  CHECK(greeting.position == 4);
  CHECK(greeting.end == 9);
  const auto label = hits.first(labelled);
  REQUIRE(label);
  CHECK(label.entry->label == 1);  // "o" is inside words only
  CHECK(label.position == 10);

  std::vector<std::string_view> seen;
  hits.for_each(greetings, [&](const std::string_view& phrase, std::size_t, std::size_t) { seen.push_back(phrase); });
  // "lo w" ends and begins inside words; 不在 is no ASCII word, so it is found anywhere.
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string_view>{"hello", "hello world", "world", "\xE4\xB8\x8D\xE5\x9C\xA8"});
}

TEST_CASE("phrase matcher: a text's first bytes are read as if the text ended there") {
  const PhraseMatcher matcher(greetings);
  const PhraseHits hits = matcher.find("hello worlds");
  const auto count = [&](std::size_t size) {
    std::size_t found = 0;
    hits.for_each(greetings, [&](const std::string_view&, std::size_t, std::size_t) { ++found; }, size);
    return found;
  };
  CHECK(count(npos) == 1);  // hello; "world" is the start of "worlds"
  CHECK(count(11) == 3);    // hello, hello world, world: cut there, they end where the text does
  CHECK(count(4) == 0);
  CHECK(*hits.first(greetings, 11).entry == "hello");
  CHECK(!hits.first(greetings, 4));
}

TEST_CASE("phrase matcher: the entry a text starts with") {
  const PhraseMatcher matcher(greetings, labelled);
  CHECK(*matcher.find("hello world").at_start(greetings) == "hello");
  CHECK(matcher.find("hellos").at_start(greetings) == nullptr);
  CHECK(matcher.find("say hello").at_start(greetings) == nullptr);
  CHECK(matcher.find("auto:reply").at_start(labelled)->label == 2);
}

TEST_CASE("phrase matcher: an empty phrase or text finds nothing") {
  const PhraseMatcher matcher(empty_phrase, greetings);
  CHECK(!matcher.find("hello").first(empty_phrase));
  CHECK(!matcher.find("").first(greetings));
  CHECK(outreach::detail::find_first<greetings>("oh, hello").position == 4);
}

TEST_CASE("phrase matcher: random texts, the same answers as a search one phrase at a time") {
  // Fragments that overlap, share prefixes and suffixes, begin or end with word bytes or not,
  // and are written in several scripts; texts are made of them, pieces of them and noise.
  const std::vector<std::string_view> pool{
      "out of office", "out of the office", "office", "of", "the office", "on leave", "leave", "auto:", ":",
      "--", "-----original message-----", "\xE4\xB8\x8D\xE5\x9C\xA8", "\xE8\x87\xAA\xE5\x8B\x95", "r\xC3\xA9ponse",
      "\xC3\xA9", "a", "aa", "aaa", "ab", "ba", "5.1.1", "x-", "don't", "'s", "i'm away", "be back", "back",
      "will be retried", "retried", "e"};
  const std::vector<std::string_view> noise{" ", "\n", ".", ",", "x", "s", "0", "-", "'", "\xC3\xA0", "\xE3\x81\xBE"};
  std::mt19937 random(20261201);
  const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };

  for (int round = 0; round < 1000; ++round) {
    std::vector<std::vector<std::string_view>> tables(1 + pick(3));
    for (auto& table : tables) {
      const std::size_t size = 1 + pick(10);
      for (std::size_t i = 0; i < size; ++i) table.push_back(pool[pick(pool.size())]);  // repeats allowed
    }
    const PhraseMatcher matcher = tables.size() == 1   ? PhraseMatcher(tables[0])
                                  : tables.size() == 2 ? PhraseMatcher(tables[0], tables[1])
                                                       : PhraseMatcher(tables[0], tables[1], tables[2]);
    for (int text_round = 0; text_round < 10; ++text_round) {
      std::string text;
      const std::size_t pieces = pick(16);
      for (std::size_t i = 0; i < pieces; ++i) {
        const std::string_view fragment = pool[pick(pool.size())];
        switch (pick(3)) {
          case 0: text += fragment; break;
          case 1: text += fragment.substr(pick(fragment.size())); break;  // a tail of it
          default: text += noise[pick(noise.size())]; break;
        }
      }
      const PhraseHits hits = matcher.find(text);
      for (const auto& table : tables) {
        for (const std::size_t size : {text.size(), pick(text.size() + 1)}) {
          const std::string_view cut = std::string_view(text).substr(0, size);
          CAPTURE(text);
          CAPTURE(size);
          CHECK(occurrences(hits, table, size) == naive_occurrences(cut, table));
          CHECK(first(hits, table, size) == naive_first(cut, table));
        }
        const auto* start = hits.at_start(table);
        CHECK((start ? static_cast<std::size_t>(start - table.data()) : npos) == naive_at_start(text, table));
      }
    }
  }
}

}  // TEST_SUITE
