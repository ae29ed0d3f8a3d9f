// IMAP4rev1 (RFC 3501) responses without I/O: a reader that cuts the server's byte stream into
// responses and parses each into tokens, and typed views of the responses a client acts on.
// The server is a stranger: every size, depth and count is bounded, and the reader never reads
// past what it was fed. The client (its Asio session) feeds bytes and acts on what comes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"

namespace outreach::detail::imap {

/// @brief The bounds of one response. A server that passes one is refused with
/// `Errc::limit_exceeded`; the defaults fit a message of up to 48 MiB fetched whole.
struct ReaderLimits {
  std::size_t max_line = 64 * 1024;             ///< Bytes of one line segment outside literals, CRLF excluded.
  std::size_t max_literal = 48 * 1024 * 1024;   ///< One literal; refused when announced, before its bytes arrive.
  std::size_t max_response = 64 * 1024 * 1024;  ///< A whole response, literals included.
  std::size_t max_depth = 16;                   ///< Nesting of parenthesized lists, and of the [ ] of a code.
  std::size_t max_items = 1'000'000;            ///< Values in one response, lists and code values included.
};

/// @brief One token of a response: an atom, a number, a string, NIL or a parenthesized list.
struct Value {
  /// @brief `string` is a quoted string or a literal; `number` is an atom of digits only that
  /// fits 64 bits; `nil` is the atom NIL in any case.
  enum class Kind : std::uint8_t { atom, number, string, nil, list };

  Kind kind = Kind::atom;
  std::string text;           ///< An atom's or a string's bytes; a number's digits; empty for nil and list.
  std::uint64_t number = 0;   ///< The value of a number.
  std::vector<Value> items;   ///< The values of a list.

  /// @brief True for an atom equal to `name`, ignoring ASCII case.
  [[nodiscard]] bool is_atom(std::string_view name) const noexcept;
  /// @brief True for a number that fits 32 bits.
  [[nodiscard]] bool is_number32() const noexcept;
  /// @brief True for a list.
  [[nodiscard]] bool is_list() const noexcept { return kind == Kind::list; }
  /// @brief True for NIL.
  [[nodiscard]] bool is_nil() const noexcept { return kind == Kind::nil; }
  /// @brief The text of an atom, a number or a string (an IMAP astring); nothing for NIL or a list.
  [[nodiscard]] std::optional<std::string_view> astring() const noexcept;

  /// @brief Values are equal when their kinds, texts, numbers and items are.
  friend bool operator==(const Value&, const Value&) = default;
};

/// @brief The condition of a status response.
enum class Condition : std::uint8_t { none, ok, no, bad, preauth, bye };

/// @brief One response of the server.
///
/// Status responses (`OK`, `NO`, `BAD`, `PREAUTH`, `BYE`, tagged or untagged) and continuation
/// requests fill `condition` (none for a continuation), `code`, `code_values` and `text`; other
/// untagged responses fill `values` with everything after the `*`.
struct Response {
  /// @brief Tagged (`a1 OK ...`), untagged (`* ...`) or a continuation request (`+ ...`).
  enum class Kind : std::uint8_t { tagged, untagged, continuation };

  Kind kind = Kind::untagged;
  std::string tag;                        ///< The tag of a tagged response.
  Condition condition = Condition::none;  ///< The condition of a status response.
  std::string code;                       ///< The response code's name, upper-cased ("UIDVALIDITY"), or "".
  std::vector<Value> code_values;         ///< The values after the code's name inside [ ].
  std::string text;                       ///< The text after the code, as sent, without the line end; never sanitized.
  std::vector<Value> values;              ///< Untagged data: `* 12 EXISTS` gives {number 12, atom EXISTS}.

  /// @brief True for a tagged or untagged OK, NO, BAD, PREAUTH or BYE.
  [[nodiscard]] bool is_status() const noexcept { return condition != Condition::none; }
  /// @brief True for untagged data whose first value is the atom `keyword` (`CAPABILITY`, `LIST`).
  [[nodiscard]] bool is_data(std::string_view keyword) const noexcept;

  /// @brief Responses are equal when every part is.
  friend bool operator==(const Response&, const Response&) = default;
};

/// @brief Cuts the server's bytes into responses and parses them, incrementally.
///
/// Bytes go in with `feed`, responses come out of `next` in order, and feeding the same bytes
/// in any chunks (one at a time, or all at once) gives the same responses. Each byte is scanned
/// a bounded number of times: the reader keeps its place in a partial response, and a literal's
/// bytes are only counted until the response is complete. Lines end in CRLF or a bare LF;
/// literals are `{n}`, `{n+}` and `~{n}` (RFC 3516) at the end of a line of untagged data.
/// Status responses and continuation requests are one line: a `{n}` that ends their text is text.
///
/// Errors are `Errc::parse_error` for bytes that are not an IMAP response (a bad tag, an
/// unbalanced parenthesis, a bad literal, NUL or CR in a quoted string) and
/// `Errc::limit_exceeded` for a response over the limits; the message says what was wrong.
/// After an error the reader is unusable: the stream can no longer be cut into responses and the
/// connection must be dropped. `next` returns the same error again and `feed` ignores its bytes.
///
/// Not thread-safe; one reader per connection.
class ResponseReader {
 public:
  /// @brief A reader with the given bounds.
  explicit ResponseReader(ReaderLimits limits = {});

  /// @brief Appends received bytes. Cheap: the bytes are scanned by `next`.
  void feed(std::string_view bytes);

  /// @brief The next complete response, or nothing when more bytes are needed.
  /// @return `Errc::parse_error` or `Errc::limit_exceeded` as described for the class.
  [[nodiscard]] expected<std::optional<Response>> next();

  /// @brief Bytes fed but not yet taken by a response that `next` returned. After a tagged OK to
  /// STARTTLS it must be 0: anything else was sent before the TLS handshake (an injection).
  [[nodiscard]] std::size_t buffered() const noexcept;

 private:
  /// Finds the end of the response that starts at `start_`, going on from where the last call
  /// stopped; its size when complete, nothing when more bytes are needed.
  expected<std::optional<std::size_t>> frame();
  /// Forgets the place in the partial response, for the next one.
  void reset_frame() noexcept;

  ReaderLimits limits_;
  std::string buffer_;       // bytes fed; responses already returned end at start_
  std::size_t start_ = 0;    // where the current response starts in buffer_
  // The place in the current response, as offsets from start_.
  std::size_t segment_ = 0;             // start of the line segment being scanned
  std::size_t scanned_ = 0;             // bytes of that segment already searched for LF
  std::uint64_t literal_left_ = 0;      // bytes of an announced literal not yet arrived
  bool in_literal_ = false;
  std::optional<Error> failed_;
};

// ---- Typed views ------------------------------------------------------------------------------
// Each reads one response and gives nothing when the response is not the kind it reads, or when
// its values break that kind's grammar: a client cannot act on a half-understood response.

/// @brief The capabilities the client cares about.
struct Capabilities {
  bool imap4rev1 = false;
  bool starttls = false;
  bool logindisabled = false;
  bool idle = false;           ///< RFC 2177
  bool sasl_ir = false;        ///< RFC 4959
  bool auth_plain = false;
  bool auth_login = false;
  bool auth_xoauth2 = false;
  bool special_use = false;    ///< RFC 6154
  bool id = false;             ///< RFC 2971
  bool enable = false;         ///< RFC 5161
  bool uidplus = false;        ///< RFC 4315
  bool esearch = false;        ///< RFC 4731
  bool literal_plus = false;   ///< RFC 7888 LITERAL+
  bool literal_minus = false;  ///< RFC 7888 LITERAL- (non-synchronizing literals up to 4096 bytes)
  bool condstore = false;      ///< RFC 7162
  bool utf8_accept = false;    ///< RFC 6855 (UTF8=ONLY implies it)
};

/// @brief True for `* CAPABILITY ...` and for a status response with a `[CAPABILITY ...]` code.
[[nodiscard]] bool carries_capabilities(const Response& response) noexcept;

/// @brief The capabilities of `* CAPABILITY ...` or of a `[CAPABILITY ...]` code, names compared
/// ignoring case; all false for any other response.
[[nodiscard]] Capabilities parse_capabilities(const Response& response);

/// @brief n of `* n EXISTS`.
[[nodiscard]] std::optional<std::uint32_t> exists_count(const Response& response);

/// @brief n of `* n <keyword>`, such as `EXISTS`, `RECENT` or `EXPUNGE`; nothing for n = 0 unless
/// the keyword is EXISTS or RECENT, which count messages.
[[nodiscard]] std::optional<std::uint32_t> numbered_data(const Response& response, std::string_view keyword);

/// @brief What one `* n FETCH (...)` says about message n.
struct FetchItem {
  std::uint32_t sequence = 0;                 ///< The message sequence number n.
  std::optional<std::uint32_t> uid;           ///< UID
  std::optional<std::uint64_t> size;          ///< RFC822.SIZE
  std::optional<std::string> body;            ///< The first BODY[...], BINARY[...] or RFC822* item; NIL gives nothing.
  std::string body_section;                   ///< That item's name as sent ("BODY[]", "BODY[HEADER]<0>"), or "".
  std::vector<std::string> flags;             ///< FLAGS, as sent ("\\Seen", "$Forwarded").
  std::optional<std::string> internal_date;   ///< INTERNALDATE, as sent.
};

/// @brief The items of `* n FETCH (...)` that the client uses; other items are skipped.
/// Nothing when the response is not a FETCH, or when it is a malformed one: n is 0 or over
/// 32 bits, the items are not name-value pairs, or an item the view reads has a value of the
/// wrong kind (a UID that is not a non-zero 32-bit number, FLAGS that are not a list of atoms,
/// a body that is neither a string nor NIL).
[[nodiscard]] std::optional<FetchItem> parse_fetch(const Response& response);

/// @brief Most numbers one search result may expand to (a set like `1:4294967295` is refused).
inline constexpr std::size_t max_search_results = 1'000'000;

/// @brief The numbers of `* SEARCH 1 2 3` (empty for `* SEARCH`; a CONDSTORE `(MODSEQ n)` is
/// skipped), or the ALL of `* ESEARCH ... ALL 1:3,5` expanded (empty when ALL is absent).
/// Nothing for other responses, for a value that is not a non-zero 32-bit number, and for an ALL
/// that expands past `max_search_results`.
[[nodiscard]] std::optional<std::vector<std::uint32_t>> parse_search(const Response& response);

/// @brief What `* ESEARCH` (RFC 4731) says.
struct EsearchResult {
  std::string tag;                     ///< The correlator (TAG "a1"), or "".
  bool uid = false;                    ///< Whether the numbers are UIDs.
  std::optional<std::uint32_t> min;    ///< MIN
  std::optional<std::uint32_t> max;    ///< MAX
  std::optional<std::uint32_t> count;  ///< COUNT
  std::vector<std::uint32_t> all;      ///< ALL, expanded in the order sent.
};

/// @brief The result of `* ESEARCH [(TAG "t")] [UID] (name value)*`; unknown names (MODSEQ, ...)
/// and their values are skipped. Nothing for other responses, for a malformed one, and for an
/// ALL that expands past `max_search_results`.
[[nodiscard]] std::optional<EsearchResult> parse_esearch(const Response& response);

/// @brief One mailbox of `* LIST` or `* LSUB`.
struct ListItem {
  std::vector<std::string> attributes;  ///< As sent, such as "\\Sent", "\\Noselect", "\\HasNoChildren".
  std::optional<char> delimiter;        ///< The hierarchy delimiter; nothing for NIL.
  std::string name;                     ///< The name as sent (modified UTF-7, see decode_mailbox_name).
};

/// @brief The mailbox of `* LIST (attributes) delimiter name` or `* LSUB ...`; extended data
/// after the name (RFC 5258) is skipped. Nothing for other responses and for malformed ones.
[[nodiscard]] std::optional<ListItem> parse_list(const Response& response);

/// @brief What `* STATUS name (...)` says about a mailbox.
struct StatusItem {
  std::string mailbox;                       ///< As sent (modified UTF-7).
  std::optional<std::uint32_t> messages;     ///< MESSAGES
  std::optional<std::uint32_t> uid_next;     ///< UIDNEXT
  std::optional<std::uint32_t> uid_validity; ///< UIDVALIDITY
  std::optional<std::uint32_t> unseen;       ///< UNSEEN
};

/// @brief The counts of `* STATUS "name" (MESSAGES 3 UIDNEXT 9 ...)`; other items are skipped.
/// Nothing for other responses and for malformed ones (a count that is not a 32-bit number).
[[nodiscard]] std::optional<StatusItem> parse_status(const Response& response);

/// @brief The number of a response code such as `[UIDVALIDITY 77]` or `[UIDNEXT 9]`, in an
/// untagged or tagged status response; `code` is compared ignoring case. Nothing when the
/// response has another code or the code's first value is not a 32-bit number.
[[nodiscard]] std::optional<std::uint32_t> code_number(const Response& response, std::string_view code);

}  // namespace outreach::detail::imap
