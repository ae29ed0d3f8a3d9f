/// @file sequence.hpp
/// @brief `Sequence`: what a campaign sends — email steps in order, their delays, threading
/// and A/B variants (docs/formats.md, "Sequences").
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/template.hpp"

namespace outreach {

namespace detail {
struct SequenceAccess;
}  // namespace detail

/// @brief The wait before a step: a duration (days, hours and minutes, added up; a day is 24
/// hours), or a number of business days alone.
struct Delay {
  std::int64_t days = 0;           ///< Whole days of 24 hours.
  std::int64_t hours = 0;          ///< Hours.
  std::int64_t minutes = 0;        ///< Minutes.
  std::int64_t business_days = 0;  ///< When positive: due on the n-th following sending day instead.

  /// @brief True for a business-day delay.
  [[nodiscard]] bool in_business_days() const noexcept { return business_days > 0; }
  /// @brief The duration (zero for a business-day delay).
  [[nodiscard]] std::chrono::minutes duration() const noexcept {
    return std::chrono::minutes(minutes + 60 * (hours + 24 * days));
  }
  /// @brief True when there is no wait at all.
  [[nodiscard]] bool none() const noexcept { return !in_business_days() && duration().count() == 0; }
  /// @brief Delays compare equal component by component.
  friend bool operator==(const Delay&, const Delay&) = default;
};

/// @brief Whether a step continues the previous message's thread or starts a new one.
enum class Threading : std::uint8_t {
  reply,       ///< `"reply"`: In-Reply-To/References to the previous message, `Re:` subject.
  new_thread,  ///< `"new"`: a fresh message with its own subject.
};

/// @brief One version of a step's message. A step's variants are its A/B test.
struct Variant {
  std::string name;                 ///< `A`, `B`, ... unless named.
  std::uint32_t weight = 1;         ///< Relative share of leads (positive).
  std::optional<Template> subject;  ///< Absent only on reply steps (then `Re: ` + the thread's subject).
  Template text;                    ///< The text/plain body.
  std::optional<Template> html;     ///< The optional text/html body.

  /// @brief Variants compare equal when every part is equal.
  friend bool operator==(const Variant&, const Variant&) = default;
};

/// @brief One email step of a sequence.
struct Step {
  Delay delay;                    ///< Wait after the previous step (or after the lead enters).
  Threading threading = Threading::new_thread;  ///< Reply in the thread or start a new one.
  std::vector<Variant> variants;  ///< One or more.

  /// @brief The index of the variant a lead gets at this step: by weight, deterministic per
  /// (seed, lead key, 1-based step number), evenly spread over leads.
  [[nodiscard]] std::size_t choose_variant(std::uint64_t seed, std::string_view lead_key, int step_number) const noexcept;

  /// @brief As `choose_variant`, when only the variants `open` says may still be sent (an A/B
  /// test stopped the others): a lead whose variant is open keeps it, the others are spread
  /// over the open ones by weight, deterministically. None open, or `open` of another size:
  /// `choose_variant`.
  [[nodiscard]] std::size_t choose_variant(std::uint64_t seed, std::string_view lead_key, int step_number,
                                           const std::vector<bool>& open) const noexcept;

  /// @brief Steps compare equal when every part is equal.
  friend bool operator==(const Step&, const Step&) = default;
};

/// @brief A variant as given to `SequenceBuilder`: template sources, not yet compiled.
struct VariantSpec {
  std::string name;                    ///< Empty: `A`, `B`, ... by position.
  std::int64_t weight = 1;             ///< Positive, at most `Sequence::max_weight`.
  std::optional<std::string> subject;  ///< Subject template.
  std::string text;                    ///< Text template (required).
  std::optional<std::string> html;     ///< HTML template.
};

/// @brief A step as given to `SequenceBuilder`.
struct StepSpec {
  Delay delay;                        ///< Wait after the previous step.
  std::optional<Threading> threading; ///< Default: new thread for the first step, reply after.
  std::vector<VariantSpec> variants;  ///< One or more.
};

/// @brief An immutable sequence of email steps. Copies share their data (O(1)), and a sequence
/// may be read from any number of threads at once.
///
/// Made by `SequenceBuilder::build()` or loaded from JSON, which check every rule of the format
/// once; after that, every sequence is valid.
class Sequence {
 public:
  static constexpr std::size_t max_steps = 100;       ///< Most steps in a sequence.
  static constexpr std::size_t max_variants = 100;    ///< Most variants in a step.
  static constexpr std::int64_t max_weight = 1000000; ///< Largest variant weight.
  static constexpr std::int64_t max_delay_days = 3650;///< Longest delay, in days.

  /// @brief Loads a `sequence.json` file.
  /// @return The sequence, or the errors found (each with the file and its JSON path, or the
  /// line of a syntax error; template errors also with the character offset): `not_found`,
  /// `io_error`, `parse_error`, `invalid_value`, `unknown_key`, `invalid_utf8`, `limit_exceeded`.
  [[nodiscard]] static expected<Sequence> load(const std::filesystem::path& path);

  /// @brief Parses a sequence from JSON text (same rules and errors as `load`, without a file).
  [[nodiscard]] static expected<Sequence> from_json(std::string_view json_text);

  /// @brief The sequence as JSON in the format it is loaded from, every default written out, so
  /// that `from_json(to_json())` gives an equal sequence. Indented for people to read.
  [[nodiscard]] std::string to_json() const;

  /// @brief Lower-case hexadecimal SHA-256 of the canonical form (compact JSON, keys in a fixed
  /// order, defaults written out, delays in minutes): the same for equal content on every
  /// machine and run. A campaign pins its sequence by this fingerprint.
  [[nodiscard]] const std::string& fingerprint() const noexcept;

  /// @brief The name (may be empty).
  [[nodiscard]] const std::string& name() const noexcept;
  /// @brief The steps, in order (at least one).
  [[nodiscard]] const std::vector<Step>& steps() const noexcept;
  /// @brief The step with a 1-based number (1 to `steps().size()`).
  [[nodiscard]] const Step& step(int step_number) const { return steps().at(static_cast<std::size_t>(step_number - 1)); }

  /// @brief Sequences compare equal when their content (and so their fingerprint) is equal.
  friend bool operator==(const Sequence& a, const Sequence& b) noexcept { return a.fingerprint() == b.fingerprint(); }

  struct Data;  ///< The shared, immutable content (private to the library).

 private:
  friend struct detail::SequenceAccess;
  explicit Sequence(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

/// @brief Builds a `Sequence` in code, with the same checks as loading one from JSON.
///
/// Error paths name the place as in the JSON form (`steps[0].variants[1].subject`).
class SequenceBuilder {
 public:
  /// @brief Sets the sequence's name.
  SequenceBuilder& name(std::string name);
  /// @brief Appends a step.
  SequenceBuilder& add_step(StepSpec step);
  /// @brief Checks every rule and compiles the templates.
  /// @return The sequence, or every error found (the first, with the rest in `others()`).
  [[nodiscard]] expected<Sequence> build() const;

 private:
  std::string name_;
  std::vector<StepSpec> steps_;
};

}  // namespace outreach
