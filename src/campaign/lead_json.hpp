// Leads in both of their forms (docs/formats.md, "Leads"): the rules every lead field follows,
// the JSON form of one lead (an object with the lead list's columns as keys) and of a list (an array of
// such objects), and the rules a whole list follows (repeated addresses, unknown time zones),
// which the CSV reader in lead_list.cpp shares.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/json_reader.hpp"
#include "outreach/lead.hpp"
#include "outreach/lead_list.hpp"

namespace outreach::detail {

/// The known fields of a lead, and `custom` for every other name.
enum class LeadField : std::uint8_t { email, first_name, last_name, company, title, timezone, custom };

/// The known field a column or key names, matched without regard to ASCII case; `custom` when
/// the name is not one of them.
[[nodiscard]] LeadField lead_field_named(std::string_view name) noexcept;

/// The canonical name of a known field (`"first_name"`); empty for `custom`.
[[nodiscard]] std::string_view lead_field_name(LeadField field) noexcept;

/// The member of `lead` that holds a known field. `field` must not be `custom`.
[[nodiscard]] std::string& lead_member(Lead& lead, LeadField field) noexcept;

/// The longest field value (and column name) accepted, in bytes. Real values are far shorter;
/// the limit keeps one bad row from taking memory that every later step copies.
inline constexpr std::size_t max_lead_value_size = 64 * 1024;

/// The most fields (CSV columns, or keys of one JSON lead) a lead may have: every lead keeps
/// every custom field, so the column count multiplies the memory a list takes.
inline constexpr std::size_t max_lead_fields = 1024;

/// Checks a field value: at most `max_lead_value_size` bytes and valid UTF-8. The error
/// (`limit_exceeded`, or `invalid_utf8` with the character offset) starts with `what`, such as
/// `column "company"`.
[[nodiscard]] expected<void> check_lead_value(std::string_view what, std::string_view value);

/// A lead's address: `text` without spaces, tabs and line breaks around it must be a bare
/// address (`Address::parse` rules, without a display name or angle brackets).
/// @return The address, or `invalid_value`/`invalid_utf8` saying what is wrong.
[[nodiscard]] expected<std::string> lead_address(std::string_view text);

/// `"text"`, shortened to about 60 bytes (on a character boundary) and with control characters
/// escaped, for quoting input in a one-line message.
[[nodiscard]] std::string quoted_excerpt(std::string_view text);

/// Reads one lead object at `path`. `email` is required and must be a bare address; every value
/// is a string (or null, meaning absent) of at most `max_lead_value_size` bytes; known keys
/// match without regard to ASCII case (and may not be given twice); other keys are custom
/// fields, in object order. The time zone is not checked here (`lead_list_from_json` does).
/// @return The lead, or every error found in it (the first, with the others attached), with
/// JSON paths under `path`.
[[nodiscard]] expected<Lead> lead_from_json(const boost::json::value& value, const std::string& path);

/// Writes a lead in the form `lead_from_json` reads: `email`, the known fields that are not
/// empty (an empty one reads back the same when left out), then the custom fields in order.
/// A custom field that a lead list could not give (an empty name, a name that is a known
/// field's in any case, or a name given before) is left out, since writing it would make the
/// reader refuse the whole lead; only leads made in code have one.
[[nodiscard]] boost::json::object lead_to_json(const Lead& lead);

/// Reads the JSON form of a lead list at `path`: an array of lead objects (see
/// `lead_from_json`). Elements that are not leads, and repeated addresses (compared as
/// `Lead::key()`, the first kept), are left out and reported, each with its path
/// (`leads[3].email` for `path` "leads"); an unknown time zone is reported and the lead kept
/// without one.
/// @param source_name The file the JSON came from, for the problems' locations (may be empty).
/// @return The leads and problems; `invalid_value` when `value` is not an array or no element
/// is a valid lead (the problems then travel in the error's `others()`).
[[nodiscard]] expected<LeadList> lead_list_from_json(const boost::json::value& value, const std::string& path,
                                                     std::string_view source_name = {});

/// Collects the leads of a list in list order and applies the rules every list follows, in
/// either form: the first of a repeated address is kept and the others reported; an unknown
/// time zone is reported and dropped. Rows are named by a number, their *place*: a line (CSV)
/// or an array index (JSON). At most 2^32 - 2 leads are kept (far more than memory holds).
class LeadListBuilder {
 public:
  /// How places are written in problems.
  enum class Places : std::uint8_t { lines, json_indexes };

  /// @param places What a place number is.
  /// @param source_name The file for problems' locations (may be empty).
  /// @param base_path The JSON path of the array (json_indexes only).
  /// @param capacity A guess at the number of leads, to reserve.
  LeadListBuilder(Places places, std::string_view source_name, std::string_view base_path, std::size_t capacity);

  /// The location of a place, or of a field at that place (JSON: `[3].email`; CSV: the line).
  [[nodiscard]] Location location(std::size_t place, std::string_view field = {}) const;

  /// Records a row left out.
  void reject(Error problem);
  /// Records a row left out, with its message and code, at a place.
  void reject(Errc code, std::string message, std::size_t place, std::string_view field = {});

  /// Hashes the address of a lead about to be offered, and starts loading its place in the
  /// table of addresses into the cache, so that the wait overlaps the making of the lead.
  /// @return The hash, for `add`.
  [[nodiscard]] std::uint64_t prepare(std::string_view email) const noexcept;

  /// Offers a lead read at `place`: kept unless its address was seen before.
  void add(Lead lead, std::size_t place);
  /// As `add(lead, place)`, with the hash `prepare(lead.email)` gave.
  void add(Lead lead, std::size_t place, std::uint64_t hash);

  /// The list. Call once, at the end.
  /// @return The leads and problems, or `invalid_value` when no lead was kept (with the
  /// problems attached as others).
  [[nodiscard]] expected<LeadList> finish();

 private:
  // The addresses seen so far, as an open-addressing table of (hash, lead index + 1): no
  // allocation per lead, and addresses are compared only when their hashes are equal. Eight
  // bytes a slot, since probing a table of a million leads misses the cache.
  class AddressSet {
   public:
    explicit AddressSet(std::size_t capacity);
    // The index of the lead with the same key as leads[index] (whose address has `hash`), or
    // `index` after adding it.
    [[nodiscard]] std::size_t insert(const std::vector<Lead>& leads, std::size_t index, std::uint64_t hash);
    void prefetch(std::uint64_t hash) const noexcept;

   private:
    struct Slot {
      std::uint32_t hash = 0;  // 32 bits of the address's hash, which also pick the slot
      std::uint32_t lead = 0;  // index + 1; 0 when free
    };
    void grow();
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept;
  };

  [[nodiscard]] bool known_zone(std::string_view name);
  [[nodiscard]] std::string describe(std::size_t place) const;

  Places places_;
  std::string source_name_;
  std::string base_path_;
  LeadList list_;
  std::vector<std::size_t> places_of_leads_;  // the place of each kept lead
  AddressSet seen_;
  std::unordered_map<std::string, bool, NameHash, std::equal_to<>> zones_;  // name -> known
};

}  // namespace outreach::detail
