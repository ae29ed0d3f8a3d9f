/// @file template.hpp
/// @brief `Template`: a compiled subject, text or html template (spec: "Template syntax").
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
/// that parallel spintax in the two alternatives chooses the same options.
[[nodiscard]] std::uint64_t spin_key(std::uint64_t seed, std::string_view lead_key, int step, int part) noexcept;

/// @brief A template compiled once and rendered many times: literal text, `{{field}}`,
/// `{{field | "fallback"}}`, spintax `{a|b|c}` (nested), and the escapes `\{`, `\}`, `\|`.
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
  /// @return The template, or `parse_error` (unterminated `{{` or `{`, a stray `}`, a bad
  /// fallback) with the character offset in `Error::where().offset`, `invalid_utf8`, or
  /// `limit_exceeded` (larger than `max_size`, nested deeper than `max_depth`).
  [[nodiscard]] static expected<Template> compile(std::string_view source, TemplateKind kind = TemplateKind::text);

  /// @brief Renders for a lead, appending to `out`.
  /// @return Nothing on success; `missing_field` with message `missing_field:NAME` when a field
  /// that the chosen options need is missing or empty and has no fallback (then `out` holds a
  /// partial result the caller must discard).
  [[nodiscard]] expected<void> render_to(std::string& out, const RenderContext& context) const;

  /// @brief Renders for a lead into a new string (see `render_to`).
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
