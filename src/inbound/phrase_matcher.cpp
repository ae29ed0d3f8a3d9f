#include "inbound/phrase_matcher.hpp"

#include <algorithm>
#include <cassert>

#include "inbound/classify_text.hpp"

namespace outreach::detail {

namespace {

// Set in a transition whose target state ends phrases: the scan then looks them up.
constexpr std::uint32_t has_output = 1u << 31;

constexpr bool is_ascii_alnum(char c) noexcept { return is_word_byte(c) && static_cast<unsigned char>(c) < 0x80; }

}  // namespace

void PhraseMatcher::add_phrase(std::string_view text, std::size_t entry) {
  if (text.empty()) return;
  phrases_.push_back({text, tables_.size() - 1, entry, is_ascii_alnum(text.front()), is_ascii_alnum(text.back())});
  for (char c : text) {
    auto& byte_class = byte_class_[static_cast<unsigned char>(c)];
    if (byte_class == 0) byte_class = static_cast<std::uint8_t>(classes_++);
  }
}

void PhraseMatcher::build() {
  assert(classes_ <= 256);
  // The trie of the phrases: row s holds the child of state s for each class, 0 for none (the
  // root, state 0, is nobody's child).
  std::vector<std::uint32_t> trie(classes_, 0);
  std::vector<std::vector<std::uint32_t>> ending(1);  // the phrases that end at each state
  for (std::size_t p = 0; p < phrases_.size(); ++p) {
    std::uint32_t state = 0;
    for (char c : phrases_[p].text) {
      std::uint32_t& child = trie[state * classes_ + byte_class_[static_cast<unsigned char>(c)]];
      if (child == 0) {
        child = static_cast<std::uint32_t>(ending.size());
        ending.emplace_back();
        trie.resize(trie.size() + classes_, 0);
      }
      state = trie[state * classes_ + byte_class_[static_cast<unsigned char>(c)]];
    }
    ending[state].push_back(static_cast<std::uint32_t>(p));
  }
  const std::size_t states = ending.size();
  assert(states * classes_ < has_output);

  // Breadth first, each state's missing transitions become those of its longest proper suffix
  // that is a state (its failure state, whose row is complete by then), and it ends what that
  // suffix ends too: the trie becomes an automaton that reads each byte once.
  std::vector<std::uint32_t> failure(states, 0);
  std::vector<std::uint32_t> queue;
  queue.reserve(states);
  for (std::size_t c = 0; c < classes_; ++c) {
    if (trie[c] != 0) queue.push_back(trie[c]);
  }
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const std::uint32_t state = queue[head];
    const std::uint32_t fallback = failure[state];
    ending[state].insert(ending[state].end(), ending[fallback].begin(), ending[fallback].end());
    for (std::size_t c = 0; c < classes_; ++c) {
      std::uint32_t& target = trie[state * classes_ + c];
      if (target != 0) {
        failure[target] = trie[fallback * classes_ + c];
        queue.push_back(target);
      } else {
        target = trie[fallback * classes_ + c];
      }
    }
  }

  next_.resize(trie.size());
  for (std::size_t i = 0; i < trie.size(); ++i) {
    next_[i] = static_cast<std::uint32_t>(trie[i] * classes_) | (ending[trie[i]].empty() ? 0 : has_output);
  }
  output_begin_.reserve(states + 1);
  for (const auto& phrases : ending) {
    output_begin_.push_back(static_cast<std::uint32_t>(outputs_.size()));
    outputs_.insert(outputs_.end(), phrases.begin(), phrases.end());
  }
  output_begin_.push_back(static_cast<std::uint32_t>(outputs_.size()));
}

std::size_t PhraseMatcher::table_index(const void* entries) const noexcept {
  const auto found = std::find(tables_.begin(), tables_.end(), entries);
  assert(found != tables_.end() && "a table the matcher was not built with");
  return static_cast<std::size_t>(found - tables_.begin());
}

PhraseHits PhraseMatcher::find(std::string_view text) const {
  PhraseHits hits(*this, text);
  // The loop is as long as a load per byte: the state stays in a register, and the rare states
  // that end phrases are handled out of it.
  const std::uint32_t* next = next_.data();
  std::uint32_t row = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint32_t transition = next[row + byte_class_[static_cast<unsigned char>(text[i])]];
    row = transition & ~has_output;
    if ((transition & has_output) != 0) add_hits(hits, row, i + 1);
  }
  return hits;
}

void PhraseMatcher::add_hits(PhraseHits& hits, std::uint32_t row, std::size_t end) const {
  const std::size_t state = row / classes_;
  for (std::uint32_t k = output_begin_[state]; k < output_begin_[state + 1]; ++k) {
    hits.hits_.push_back({outputs_[k], end - phrases_[outputs_[k]].text.size()});
  }
}

bool PhraseHits::whole_words(const Hit& hit, std::size_t size) const noexcept {
  const PhraseMatcher::Phrase& phrase = matcher_->phrases_[hit.phrase];
  const std::size_t end = hit.position + phrase.text.size();
  const std::size_t text_end = std::min(size, text_.size());
  if (end > text_end) return false;
  if (phrase.bounded_start && hit.position > 0 && is_word_byte(text_[hit.position - 1])) return false;
  return !(phrase.bounded_end && end < text_end && is_word_byte(text_[end]));
}

}  // namespace outreach::detail
