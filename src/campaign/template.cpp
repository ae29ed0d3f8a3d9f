#include "outreach/template.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/ascii.hpp"
#include "util/hash.hpp"
#include "campaign/html_escape.hpp"
#include "campaign/lead_columns.hpp"
#include "util/utf8.hpp"

namespace outreach {

// The compiled form is a flat program, so rendering is one loop with no recursion and no
// allocation: literal text is a range of one owned buffer, and a spintax group is a `spin` op
// that jumps to the first op of the chosen option; every option but the last ends in a `jump`
// past the group. A group whose options are all plain text (the common case) is a single
// `spin_text` op instead, which appends the chosen text: fewer ops, and the same sequence of
// ops for every key, which keeps the dispatch predictable.
struct Template::Compiled {
  /// Where a field's value comes from; known names are resolved here, once.
  enum class FieldSource : std::uint8_t {
    email, first_name, last_name, company, title, timezone,
    sender_name, sender_email, unsubscribe_url,
    custom,  ///< Looked up in Lead::custom by its name.
  };

  /// A range of bytes in `literals`.
  struct TextRange {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };

  enum class OpKind : std::uint8_t { literal, field, spin_text, spin, jump };

  struct Op {
    OpKind kind = OpKind::literal;
    FieldSource source = FieldSource::custom;  ///< field: where the value comes from.
    bool has_fallback = false;                 ///< field: whether `text` is its fallback.
    /// field: index in `field_names`; spin_text and spin: the group's ordinal (index in
    /// `spin_groups`); jump: the op to go on with.
    std::uint32_t argument = 0;
    TextRange text{};  ///< literal: the text; field: the fallback.
  };

  /// A spintax group's options: `option_count` entries from `first_option` of `option_texts`
  /// (for a spin_text op) or of `option_starts` (for a spin op).
  struct SpinGroup {
    std::uint32_t first_option = 0;
    std::uint32_t option_count = 0;
  };

  std::string source;
  TemplateKind kind = TemplateKind::text;
  std::string literals;                      ///< The bytes of all literal text and fallbacks.
  std::vector<Op> ops;
  std::vector<SpinGroup> spin_groups;        ///< In ordinal order: group k is spin_groups[k].
  std::vector<TextRange> option_texts;       ///< The text of each option of spin_text groups.
  std::vector<std::uint32_t> option_starts;  ///< The first op of each option of spin groups.
  std::vector<std::string> field_names;      ///< Distinct names, in order of first appearance.

  [[nodiscard]] std::string_view text(TextRange range) const noexcept {
    return std::string_view(literals).substr(range.offset, range.length);
  }
};

namespace {

using Compiled = Template::Compiled;
using FieldSource = Compiled::FieldSource;

[[nodiscard]] FieldSource field_source(std::string_view name) noexcept {
  if (name == "email") return FieldSource::email;
  if (name == "first_name") return FieldSource::first_name;
  if (name == "last_name") return FieldSource::last_name;
  if (name == "company") return FieldSource::company;
  if (name == "title") return FieldSource::title;
  if (name == "timezone") return FieldSource::timezone;
  if (name == "sender.name") return FieldSource::sender_name;
  if (name == "sender.email") return FieldSource::sender_email;
  if (name == "unsubscribe_url") return FieldSource::unsubscribe_url;
  return FieldSource::custom;
}

// ---- parsing: source text to a tree ---------------------------------------------------------

// The tree only lives during compile; its depth is bounded by Template::max_depth.
struct Node;
using Sequence = std::vector<Node>;

struct Node {
  enum class Kind : std::uint8_t { text, field, spin };
  Kind kind = Kind::text;
  std::string text{};            ///< text: the literal; field: the fallback.
  std::uint32_t field_name = 0;  ///< field: index in Compiled::field_names.
  bool has_fallback = false;     ///< field
  std::vector<Sequence> options{};  ///< spin: at least two.
};

void append_text(Sequence& sequence, std::string_view text) {
  if (text.empty()) return;
  if (!sequence.empty() && sequence.back().kind == Node::Kind::text) {
    sequence.back().text += text;
  } else {
    sequence.push_back(Node{.kind = Node::Kind::text, .text = std::string(text)});
  }
}

void append_nodes(Sequence& sequence, Sequence&& nodes) {
  for (Node& node : nodes) {
    if (node.kind == Node::Kind::text) {
      append_text(sequence, node.text);
    } else {
      sequence.push_back(std::move(node));
    }
  }
}

// The bytes that end a run of literal text.
[[nodiscard]] constexpr bool ends_literal_run(char c) noexcept {
  return c == '\\' || c == '{' || c == '}' || c == '|';
}

class Parser {
 public:
  Parser(std::string_view source, std::vector<std::string>& field_names)
      : source_(source), field_names_(field_names) {}

  [[nodiscard]] expected<Sequence> parse() {
    Sequence top;
    if (auto parsed = parse_sequence(top, 0); !parsed) return fail(std::move(parsed.error()));
    return top;
  }

 private:
  // Appends to `out` up to the end of the source or, inside a group (depth > 0), up to the
  // group's next top-level `|` or `}`, which it leaves for the caller.
  [[nodiscard]] expected<void> parse_sequence(Sequence& out, int depth) {
    while (pos_ < source_.size()) {
      const char c = source_[pos_];
      if (c == '\\') {
        const char escaped = at(pos_ + 1);
        if (escaped == '{' || escaped == '}' || escaped == '|') {
          append_text(out, source_.substr(pos_ + 1, 1));
          pos_ += 2;
        } else {
          append_text(out, "\\");
          pos_ += 1;
        }
      } else if (c == '{') {
        // In a run of `{`, the last two open a field: field names never start with `{`.
        const bool opens_field = at(pos_ + 1) == '{' && at(pos_ + 2) != '{';
        auto parsed = opens_field ? parse_field(out) : parse_group(out, depth + 1);
        if (!parsed) return parsed;
      } else if (c == '}') {
        if (depth > 0) return {};
        return error_at(Errc::parse_error, "unexpected } that closes nothing (write \\} for a literal brace)", pos_);
      } else if (c == '|' && depth > 0) {
        return {};
      } else {
        const std::size_t run_start = pos_;
        ++pos_;
        while (pos_ < source_.size() && !ends_literal_run(source_[pos_])) ++pos_;
        append_text(out, source_.substr(run_start, pos_ - run_start));
      }
    }
    return {};
  }

  // At a `{` that opens a group of the given depth (1 for a group at top level).
  [[nodiscard]] expected<void> parse_group(Sequence& out, int depth) {
    const std::size_t open = pos_;
    if (depth > Template::max_depth) {
      return error_at(Errc::limit_exceeded,
                      "brace groups nested deeper than " + std::to_string(Template::max_depth), open);
    }
    ++pos_;
    std::vector<Sequence> options(1);
    for (;;) {
      if (auto parsed = parse_sequence(options.back(), depth); !parsed) return parsed;
      if (pos_ == source_.size()) {
        return error_at(Errc::parse_error, "unterminated {: expected } (write \\{ for a literal brace)", open);
      }
      const char delimiter = source_[pos_++];
      if (delimiter == '}') break;
      options.emplace_back();  // delimiter is '|'
    }
    if (options.size() == 1) {  // no top-level `|`: literal text, braces included
      append_text(out, "{");
      append_nodes(out, std::move(options.front()));
      append_text(out, "}");
    } else {
      out.push_back(Node{.kind = Node::Kind::spin, .options = std::move(options)});
    }
    return {};
  }

  // At the `{{` of a field: `{{ name }}` or `{{ name | "fallback" }}`.
  [[nodiscard]] expected<void> parse_field(Sequence& out) {
    const std::size_t open = pos_;
    pos_ += 2;
    const std::size_t name_start = pos_;
    while (pos_ < source_.size()) {
      const char c = source_[pos_];
      if (c == '{' || c == '}' || c == '|' || c == '"') break;
      ++pos_;
    }
    if (pos_ == source_.size()) return error_at(Errc::parse_error, "unterminated {{: expected }}", open);
    const char stop = source_[pos_];
    if (stop == '{') {
      const bool double_brace = at(pos_ + 1) == '{';
      return error_at(Errc::parse_error,
                      double_brace ? "unexpected {{ inside a field name: expected }}"
                                   : "unexpected { inside a field name",
                      pos_);
    }
    if (stop == '"') {
      return error_at(Errc::parse_error,
                      "unexpected \" in a field name (a fallback is written {{name | \"fallback\"}})", pos_);
    }
    const std::string_view name = detail::trim(source_.substr(name_start, pos_ - name_start));
    if (name.empty()) return error_at(Errc::parse_error, "empty field name", open);

    Node field{.kind = Node::Kind::field, .field_name = name_index(name)};
    if (stop == '|') {
      ++pos_;
      auto fallback = parse_fallback(open);
      if (!fallback) return fail(std::move(fallback.error()));
      field.text = std::move(*fallback);
      field.has_fallback = true;
    }
    if (!source_.substr(pos_).starts_with("}}")) {
      return error_at(Errc::parse_error, "unterminated {{: expected }}", open);
    }
    pos_ += 2;
    out.push_back(std::move(field));
    return {};
  }

  // After the `|` of the field opened at `field_open`: `"fallback"`, with whitespace around it,
  // up to (not including) the closing `}}`.
  [[nodiscard]] expected<std::string> parse_fallback(std::size_t field_open) {
    skip_space();
    if (pos_ == source_.size()) return error_at(Errc::parse_error, "unterminated {{: expected }}", field_open);
    if (source_[pos_] != '"') {
      return error_at(Errc::parse_error, "bad fallback: expected a double-quoted string after |", pos_);
    }
    const std::size_t quote = pos_++;
    std::string fallback;
    for (;;) {
      if (pos_ == source_.size()) {
        return error_at(Errc::parse_error, "bad fallback: unterminated string, expected a closing \"", quote);
      }
      const char c = source_[pos_++];
      if (c == '"') break;
      if (c == '\\' && (at(pos_) == '"' || at(pos_) == '\\')) {
        fallback += source_[pos_++];
      } else {
        fallback += c;
      }
    }
    skip_space();
    // The end of the source or a lone `}` is an unterminated field, which the caller reports.
    if (pos_ < source_.size() && source_[pos_] != '}') {
      return error_at(Errc::parse_error, "bad fallback: unexpected text after the string, expected }}", pos_);
    }
    return fallback;
  }

  // The byte at `pos`, or NUL past the end (callers only compare with syntax characters).
  [[nodiscard]] char at(std::size_t pos) const noexcept { return pos < source_.size() ? source_[pos] : '\0'; }

  void skip_space() noexcept {
    while (pos_ < source_.size() && detail::is_space(source_[pos_])) ++pos_;
  }

  // A map, not a scan of field_names_: a hostile template may name tens of thousands of fields.
  [[nodiscard]] std::uint32_t name_index(std::string_view name) {
    const auto [entry, inserted] = name_indexes_.try_emplace(name, static_cast<std::uint32_t>(field_names_.size()));
    if (inserted) field_names_.emplace_back(name);
    return entry->second;
  }

  [[nodiscard]] tl::unexpected<Error> error_at(Errc code, std::string message, std::size_t byte_pos) const {
    Location where;
    where.offset = detail::code_point_offset(source_, byte_pos);
    return fail(code, std::move(message), std::move(where));
  }

  std::string_view source_;
  std::size_t pos_ = 0;
  std::vector<std::string>& field_names_;
  std::unordered_map<std::string_view, std::uint32_t> name_indexes_;  ///< Views into source_.
};

// ---- assembling: tree to flat ops -----------------------------------------------------------

// Sizes fit in 32 bits: the source is at most Template::max_size bytes, and every literal byte,
// op and option comes from at least one source byte.
static_assert(Template::max_size < (std::size_t{1} << 31));

[[nodiscard]] std::uint32_t to_u32(std::size_t value) noexcept { return static_cast<std::uint32_t>(value); }

class Assembler {
 public:
  explicit Assembler(Compiled& compiled) : compiled_(compiled) {}

  // Lays out `sequence` in source order; so spintax groups get their ordinals depth-first,
  // a group before the groups nested in it.
  void emit(const Sequence& sequence) {
    for (const Node& node : sequence) {
      switch (node.kind) {
        case Node::Kind::text:
          compiled_.ops.push_back({.kind = Compiled::OpKind::literal, .text = add_literal(node.text)});
          break;
        case Node::Kind::field:
          compiled_.ops.push_back({.kind = Compiled::OpKind::field,
                                   .source = field_source(compiled_.field_names[node.field_name]),
                                   .has_fallback = node.has_fallback,
                                   .argument = node.field_name,
                                   .text = add_literal(node.text)});
          break;
        case Node::Kind::spin:
          emit_spin(node.options);
          break;
      }
    }
  }

 private:
  void emit_spin(const std::vector<Sequence>& options) {
    const std::uint32_t ordinal = to_u32(compiled_.spin_groups.size());
    const auto is_plain_text = [](const Sequence& option) {
      return option.empty() || (option.size() == 1 && option.front().kind == Node::Kind::text);
    };
    if (std::all_of(options.begin(), options.end(), is_plain_text)) {
      compiled_.spin_groups.push_back(
          {.first_option = to_u32(compiled_.option_texts.size()), .option_count = to_u32(options.size())});
      for (const Sequence& option : options) {
        compiled_.option_texts.push_back(add_literal(option.empty() ? std::string_view() : option.front().text));
      }
      compiled_.ops.push_back({.kind = Compiled::OpKind::spin_text, .argument = ordinal});
      return;
    }

    const std::size_t first_option = compiled_.option_starts.size();
    compiled_.spin_groups.push_back({.first_option = to_u32(first_option), .option_count = to_u32(options.size())});
    compiled_.option_starts.resize(first_option + options.size());
    compiled_.ops.push_back({.kind = Compiled::OpKind::spin, .argument = ordinal});

    std::vector<std::size_t> jumps_to_end;
    for (std::size_t i = 0; i < options.size(); ++i) {
      compiled_.option_starts[first_option + i] = to_u32(compiled_.ops.size());
      emit(options[i]);
      if (i + 1 < options.size()) {
        jumps_to_end.push_back(compiled_.ops.size());
        compiled_.ops.push_back({.kind = Compiled::OpKind::jump});
      }
    }
    for (const std::size_t jump : jumps_to_end) compiled_.ops[jump].argument = to_u32(compiled_.ops.size());
  }

  [[nodiscard]] Compiled::TextRange add_literal(std::string_view text) {
    const Compiled::TextRange range{.offset = to_u32(compiled_.literals.size()), .length = to_u32(text.size())};
    compiled_.literals += text;
    return range;
  }

  Compiled& compiled_;
};

// ---- rendering ------------------------------------------------------------------------------

// The field's value; an empty view when it is missing or empty (the two are treated alike).
[[nodiscard]] std::string_view field_value(const Compiled& compiled, const Compiled::Op& op,
                                           const RenderContext& context) noexcept {
  switch (op.source) {
    case FieldSource::sender_name: return context.sender_name;
    case FieldSource::sender_email: return context.sender_email;
    case FieldSource::unsubscribe_url: return context.unsubscribe_url;
    default: break;
  }
  const Lead* lead = context.lead;
  if (lead == nullptr) return {};
  switch (op.source) {
    case FieldSource::email: return lead->email;
    case FieldSource::first_name: return lead->first_name;
    case FieldSource::last_name: return lead->last_name;
    case FieldSource::company: return lead->company;
    case FieldSource::title: return lead->title;
    case FieldSource::timezone: return lead->timezone;
    case FieldSource::custom: {
      const std::string_view name = compiled.field_names[op.argument];
      for (const auto& [key, value] : lead->custom) {
        if (key == name) return value;
      }
      // `{{company_size}}` also reads the column "Company Size".
      for (const auto& [key, value] : lead->custom) {
        if (detail::is_field_key_of(name, key)) return value;
      }
      // `{{FirstName}}`, written when that header was a custom column, reads the field it fills.
      return detail::synonym_value(*lead, name).value_or(std::string_view());
    }
    default: return {};
  }
}

// The option spintax group `ordinal` chooses for `key` (documented in template.hpp).
[[nodiscard]] std::uint64_t chosen_option(std::uint64_t key, std::uint32_t ordinal, std::uint32_t option_count) noexcept {
  return detail::pick_below(detail::hash_combine(key, ordinal), option_count);
}

[[nodiscard]] const std::shared_ptr<const Compiled>& empty_template() {
  static const std::shared_ptr<const Compiled> empty = std::make_shared<const Compiled>();
  return empty;
}

}  // namespace

std::uint64_t spin_key(std::uint64_t seed, std::string_view lead_key, int step, int part) noexcept {
  // The tag keeps spintax choices independent of other hashes of (seed, lead, step).
  constexpr std::uint64_t spintax_tag = detail::hash_bytes("outreach.spintax");
  std::uint64_t key = detail::hash_combine(seed, spintax_tag);
  key = detail::hash_combine(key, detail::hash_bytes(lead_key));
  key = detail::hash_combine(key, static_cast<std::uint64_t>(step));
  return detail::hash_combine(key, static_cast<std::uint64_t>(part));
}

Template::Template() : compiled_(empty_template()) {}

expected<Template> Template::compile(std::string_view source, TemplateKind kind) {
  if (source.size() > max_size) {
    Location where;
    where.offset = detail::code_point_offset(source, max_size);
    return fail(Errc::limit_exceeded, "template larger than " + std::to_string(max_size) + " bytes", std::move(where));
  }
  if (const auto bad_byte = detail::find_invalid_utf8(source)) {
    Location where;
    where.offset = detail::code_point_offset(source, *bad_byte);
    return fail(Errc::invalid_utf8, "invalid UTF-8 in template", std::move(where));
  }

  auto compiled = std::make_shared<Compiled>();
  compiled->source = std::string(source);
  compiled->kind = kind;
  auto tree = Parser(source, compiled->field_names).parse();
  if (!tree) return fail(std::move(tree.error()));
  Assembler(*compiled).emit(*tree);
  return Template(std::move(compiled));
}

expected<void> Template::render_to(std::string& out, const RenderContext& context) const {
  const Compiled& compiled = *compiled_;
  const bool escape_values = compiled.kind == TemplateKind::html;
  const std::size_t op_count = compiled.ops.size();
  std::size_t next = 0;
  while (next < op_count) {
    const Compiled::Op& op = compiled.ops[next];
    switch (op.kind) {
      case Compiled::OpKind::literal:
        out.append(compiled.text(op.text));
        ++next;
        break;
      case Compiled::OpKind::field: {
        const std::string_view value = field_value(compiled, op, context);
        if (!value.empty()) {
          if (escape_values) {
            detail::append_html_escaped(out, value);
          } else {
            out.append(value);
          }
        } else if (op.has_fallback) {
          out.append(compiled.text(op.text));
        } else {
          return fail(Errc::missing_field, "missing_field:" + compiled.field_names[op.argument]);
        }
        ++next;
        break;
      }
      case Compiled::OpKind::spin_text: {
        const Compiled::SpinGroup& group = compiled.spin_groups[op.argument];
        const std::uint64_t option = chosen_option(context.spin_key, op.argument, group.option_count);
        out.append(compiled.text(compiled.option_texts[group.first_option + option]));
        ++next;
        break;
      }
      case Compiled::OpKind::spin: {
        const Compiled::SpinGroup& group = compiled.spin_groups[op.argument];
        const std::uint64_t option = chosen_option(context.spin_key, op.argument, group.option_count);
        next = compiled.option_starts[group.first_option + option];
        break;
      }
      case Compiled::OpKind::jump:
        next = op.argument;
        break;
    }
  }
  return {};
}

expected<std::string> Template::render(const RenderContext& context) const {
  std::string out;
  out.reserve(compiled_->source.size() + 64);
  if (auto rendered = render_to(out, context); !rendered) return fail(std::move(rendered.error()));
  return out;
}

const std::string& Template::source() const noexcept { return compiled_->source; }

TemplateKind Template::kind() const noexcept { return compiled_->kind; }

std::vector<std::string> Template::fields() const { return compiled_->field_names; }

}  // namespace outreach
