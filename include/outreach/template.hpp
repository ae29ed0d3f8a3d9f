/// @file template.hpp
/// @brief `Template`: a compiled subject, text or html template (docs/formats.md, "Templates").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/lead.hpp"

namespace outreach {

/// @brief What a template's output is: plain text, or HTML (inserted values are HTML-escaped).
enum class TemplateKind : std::uint8_t {
  text,  ///< Subject or text body: values are inserted as they are.
  html,  ///< HTML body: inserted lead and sender values are HTML-escaped.
};

/// @brief Everything a template may read while it renders for one lead.
///
/// Holds views: the lead and strings must outlive the render call.
struct RenderContext {
  const Lead* lead = nullptr;          ///< The lead (fields `email`, `first_name`, ... and custom).
  std::string_view sender_name;        ///< `{{sender.name}}`: the mailbox's display name.
  std::string_view sender_email;       ///< `{{sender.email}}`: the mailbox's address.
  std::string_view unsubscribe_url;    ///< `{{unsubscribe_url}}`; empty when the campaign has none.
  /// Seeds the spintax choices: the same key gives the same options. Derive it with
  /// `spin_key()` from (campaign seed, lead, step) so that choices are deterministic per lead.
  std::uint64_t spin_key = 0;
};

/// @brief The spintax key for (campaign seed, lead key, 1-based step, part).
///
/// `part` separates the subject (0) from the body (1); the text and html bodies share a part so
/// that parallel spintax in the two alternatives chooses the same options. The key is
/// separated from other hashes of the same inputs (such as the choice of variant), so that
/// spintax choices do not correlate with them.
/// @param seed The campaign seed.
/// @param lead_key The lead's identity (`Lead::key()`).
/// @param step The 1-based step.
/// @param part 0 for the subject, 1 for the body.
/// @return A key for `RenderContext::spin_key`, the same on every machine.
[[nodiscard]] std::uint64_t spin_key(std::uint64_t seed, std::string_view lead_key, int step, int part) noexcept;

/// @brief A template compiled once and rendered many times: literal text, `{{field}}`,
/// `{{field | "fallback"}}`, spintax `{a|b|c}` (nested), and the escapes `\{`, `\}`, `\|`.
///
/// The syntax, where the format leaves a choice:
/// - Fields: `{{ name }}` or `{{ name | "fallback" }}`, with optional whitespace around the
///   name and the `|`. A name is any text without `{`, `}`, `|` or `"`, trimmed; the known names
///   are `email`, `first_name`, `last_name`, `company`, `title`, `timezone`, `sender.name`,
///   `sender.email` and `unsubscribe_url`, and any other name is a custom field of the lead
///   (exact, case-sensitive match). In the fallback, `\"` and `\\` are escapes; the fallback
///   is written as it is (like literal text, it is not HTML-escaped).
/// - In a run of `{`, the last two open a field and the others open brace groups, so
///   `{{{first_name}}|there}` is spintax whose first option is a field.
/// - A brace group with a top-level `|` is spintax; one without is literal text, braces
///   included (its contents are still parsed). `|` outside every group is literal text.
/// - Spintax groups are numbered 0, 1, 2 ... in the order of their opening `{` in the source
///   (depth-first: a group comes before the groups nested in it), counting every spintax group
///   whether its option is chosen or not; literal brace groups are not counted. Group k chooses
///   option `pick_below(hash_combine(spin_key, k), option count)`. So two templates with the same
///   spintax groups in the same order (a text body and its html twin, even with CSS braces in
///   the html) choose the same options for the same key.
/// - `\{`, `\}` and `\|` write the character; a backslash before anything else is itself.
/// - A `}` that closes nothing is an error, and so is `}}` outside a field (write `\}`).
///
/// An immutable value; copies share the compiled form, so copying is O(1) and a template may be
/// rendered from several threads at once.
class Template {
 public:
  /// @brief Largest template source accepted, in bytes.
  static constexpr std::size_t max_size = 256 * 1024;
  /// @brief Deepest nesting of brace groups accepted.
  static constexpr int max_depth = 16;

  /// @brief An empty text template (renders to the empty string).
  Template();

  /// @brief Compiles a template.
  /// @param source The template text (UTF-8).
  /// @param kind Text or HTML; decides whether inserted values are HTML-escaped.
  /// @return The template, or an error whose `where().offset` is the code point offset of the
  /// construct at fault: `parse_error` (an unterminated `{{` or `{`, a stray `}`, an empty field
  /// name, `{{` inside a field name, a bad fallback), `invalid_utf8` (offset of the bad byte), or
  /// `limit_exceeded` (larger than `max_size`: offset where the limit falls; nested deeper than
  /// `max_depth`: offset of the first `{` too deep). Nesting is checked as the source is read,
  /// so hostile input fails fast without deep recursion.
  [[nodiscard]] static expected<Template> compile(std::string_view source, TemplateKind kind = TemplateKind::text);

  /// @brief Renders for a lead, appending to `out`.
  ///
  /// A field is missing when the lead has no such field (or `context.lead` is null), and for
  /// `sender.*` and `unsubscribe_url` when the context's value is empty. Allocates nothing but
  /// the growth of `out`.
  /// @param out The string to append to.
  /// @param context The lead, sender, unsubscribe URL and spintax key.
  /// @return Nothing on success; `missing_field` with message `missing_field:NAME` when a field
  /// that the chosen options need is missing or empty and has no fallback (then `out` holds a
  /// partial result the caller must discard).
  [[nodiscard]] expected<void> render_to(std::string& out, const RenderContext& context) const;

  /// @brief Renders for a lead into a new string (see `render_to`).
  /// @param context The lead, sender, unsubscribe URL and spintax key.
  /// @return The rendered text, or `missing_field` as for `render_to`.
  [[nodiscard]] expected<std::string> render(const RenderContext& context) const;

  /// @brief The source text, exactly as compiled.
  [[nodiscard]] const std::string& source() const noexcept;
  /// @brief Text or HTML.
  [[nodiscard]] TemplateKind kind() const noexcept;
  /// @brief Every field name the template mentions, in order of first appearance.
  [[nodiscard]] std::vector<std::string> fields() const;
  /// @brief True when the source is empty.
  [[nodiscard]] bool empty() const noexcept { return source().empty(); }

  /// @brief Templates are equal when their sources and kinds are equal.
  friend bool operator==(const Template& a, const Template& b) noexcept {
    return a.kind() == b.kind() && a.source() == b.source();
  }

  struct Compiled;  ///< The compiled form (private to the library).

 private:
  explicit Template(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace outreach
