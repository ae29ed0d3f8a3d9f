/**
 * @file outreach.h
 * @brief The C interface of outreach: sequences, campaigns, the engine, received mail, the
 * store's suppression list and reading a store, and SMTP sending, with structured values passed
 * as UTF-8 JSON text (the formats of docs/formats.md).
 *
 * @section conventions Conventions
 *
 * - **Handles** (`outreach_sequence`, `outreach_campaign`, `outreach_engine`, `outreach_smtp`,
 *   `outreach_store_reader`) are opaque. They are made by `outreach_X_new`/`_load`/`_from_json`/
 *   `_open`, which take the output parameter first and set it to NULL when they fail, and
 *   released by `outreach_X_free`, which accepts NULL. Freeing a handle twice, or using it after
 *   it was freed, is undefined behaviour.
 * - **Status codes**: every function that can fail returns an `int`: `OUTREACH_OK` (0) or a
 *   negative `OUTREACH_E*` code. The values never change. `outreach_strerror` names a code,
 *   `outreach_last_error` says what went wrong in words, and `outreach_last_error_details` as
 *   JSON. On failure, output parameters are set to NULL (or 0) when they are not NULL themselves.
 * - **Strings passed in** are NUL-terminated UTF-8 and are copied: the caller may free them as
 *   soon as the call returns. A string that is not valid UTF-8 is refused with
 *   `OUTREACH_EUTF8`; a NULL string where one is required with `OUTREACH_EINVAL`. Bytes that
 *   need not be text (a message's data, a received message) are passed with their length.
 * - **Strings returned** through a `char **` parameter belong to the caller, who frees them with
 *   `outreach_string_free` (never with `free`: the library and the caller may use different
 *   allocators). Strings returned through a `const char **` parameter, or as a `const char *`
 *   result, belong to the library: read them, do not free them; how long they stay valid is
 *   said with each function.
 * - **Callbacks** take `void *user_data` last; the library passes it back untouched. A struct of
 *   callbacks that the host fills in starts with a `version` field.
 * - **No C++ exception crosses this interface**: every function catches everything and returns a
 *   status instead (`OUTREACH_ENOMEM`, `OUTREACH_EINTERNAL`).
 *
 * @section threads Threads
 *
 * - `outreach_sequence`: immutable once made. Any number of threads may read one at once.
 * - `outreach_campaign`: immutable once made. Any number of threads may read one at once (for
 *   instance, add it to several engines).
 * - `outreach_engine`: used by one thread at a time. The only exception is
 *   `outreach_engine_request_stop`, which any thread may call at any time, and which a signal
 *   handler may call too (it only sets an atomic flag). A call made while another thread is
 *   inside a function of the same engine fails with `OUTREACH_EBUSY` instead of racing.
 *   Callbacks (event, log, transport, SMTP credentials and trace) run on the thread that called
 *   into the engine; from them, only the functions that read (`outreach_engine_event_count`,
 *   `outreach_engine_events`, `outreach_engine_event`, `outreach_engine_summary`,
 *   `outreach_engine_warnings`, `outreach_engine_suppressions`) and `outreach_engine_request_stop`
 *   may be called on the same engine; the others fail with `OUTREACH_EBUSY`. A callback must
 *   never free the engine.
 * - `outreach_smtp`: used by one thread at a time, like an engine; its callbacks run on the thread
 *   that called into it, and from them only `outreach_smtp_connections_opened` may be called on it.
 * - `outreach_imap`: used by one thread at a time, like an engine; its callbacks (credentials,
 *   trace) run inside its calls and may not call it.
 * - `outreach_store_reader`: used by one thread at a time; a call made while another thread is
 *   inside one of its functions fails with `OUTREACH_EBUSY`. Open one per thread.
 * - Error messages (`outreach_last_error`, `outreach_last_error_details`) are per thread.
 * - Functions without a handle (`outreach_version`, `outreach_strerror`, loading sequences and
 *   campaigns, unsubscribe tokens, ...) may be called from any thread.
 *
 * @section abi ABI
 *
 * The shared library is `liboutreach_c.so.<ABI major>`: its SOVERSION follows this interface,
 * not the version of the project. Functions are only ever added; a struct that the host fills in
 * carries a `version` so that it can grow.
 */
#ifndef OUTREACH_H
#define OUTREACH_H

#include <stddef.h>
#include <stdint.h>

/** @cond OUTREACH_INTERNAL */
#if defined(OUTREACH_DOXYGEN)
#define OUTREACH_API
#elif defined(_WIN32)
#if defined(OUTREACH_C_BUILDING)
#define OUTREACH_API __declspec(dllexport)
#else
#define OUTREACH_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define OUTREACH_API __attribute__((visibility("default")))
#else
#define OUTREACH_API
#endif
/** @endcond */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- versions -------------------------------------------------------------------------- */

/**
 * @brief The version this header belongs to, as `major * 10000 + minor * 100 + patch` (the
 * same number as `OUTREACH_VERSION_NUMBER` in `outreach/version.hpp`).
 */
#define OUTREACH_VERSION_NUMBER 100

/**
 * @brief The version of the library that is loaded, as `major * 10000 + minor * 100 + patch`.
 *
 * Compare it with `OUTREACH_VERSION_NUMBER` to detect a header and library that do not match.
 * Thread-safe.
 */
OUTREACH_API int outreach_version_number(void);

/**
 * @brief The version of the library that is loaded, such as `"0.1.0"`.
 * @return A static string (never NULL, never to be freed). Thread-safe.
 */
OUTREACH_API const char *outreach_version(void);

/* ---- status codes ---------------------------------------------------------------------- */

/** @brief Success. */
#define OUTREACH_OK 0
/** @brief An argument the function does not accept: a NULL handle or pointer, an unknown
 * option, an instant that is not RFC 3339, a campaign name already added, a call out of order. */
#define OUTREACH_EINVAL (-1)
/** @brief Input is not well-formed: JSON, CSV, a template. */
#define OUTREACH_EPARSE (-2)
/** @brief Input is well-formed but breaks a rule of the format. */
#define OUTREACH_EVALUE (-3)
/** @brief A JSON object has a key the format does not define. */
#define OUTREACH_EUNKNOWNKEY (-4)
/** @brief A template needs a lead field that is missing or empty. */
#define OUTREACH_EMISSINGFIELD (-5)
/** @brief Text is not valid UTF-8 (a string argument, or a file's content). */
#define OUTREACH_EUTF8 (-6)
/** @brief Input is larger or deeper than the library accepts. */
#define OUTREACH_ELIMIT (-7)
/** @brief A file or folder could not be read or written. */
#define OUTREACH_EIO (-8)
/** @brief A named thing does not exist: a file, a campaign, a lead, an event index. */
#define OUTREACH_ENOTFOUND (-9)
/** @brief A resource is busy or unreachable; trying again may help. */
#define OUTREACH_EUNAVAILABLE (-10)
/** @brief A remote peer refused for now; trying again may help. */
#define OUTREACH_ETEMPFAIL (-11)
/** @brief A remote peer refused for good. */
#define OUTREACH_EPERMFAIL (-12)
/** @brief A bug in the library; please report it with the message. */
#define OUTREACH_EINTERNAL (-13)
/** @brief Memory ran out. */
#define OUTREACH_ENOMEM (-100)
/** @brief A callback of the host failed (an event callback returned non-zero). */
#define OUTREACH_ECALLBACK (-101)
/** @brief Not supported by this version of the library. */
#define OUTREACH_EUNSUPPORTED (-102)
/** @brief The engine is in use: by another thread, or by the call whose callback this is. */
#define OUTREACH_EBUSY (-103)

/**
 * @brief The stable, lower-case name of a status code: `"ok"`, `"invalid_argument"`,
 * `"parse_error"`, `"invalid_value"`, `"unknown_key"`, `"missing_field"`, `"invalid_utf8"`,
 * `"limit_exceeded"`, `"io_error"`, `"not_found"`, `"unavailable"`, `"temporary_failure"`,
 * `"permanent_failure"`, `"internal"`, `"out_of_memory"`, `"callback_failed"`,
 * `"unsupported"`, `"busy"`, or `"unknown"` for any other value.
 * @param code A status code.
 * @return A static string (never NULL, never to be freed). Thread-safe.
 */
OUTREACH_API const char *outreach_strerror(int code);

/**
 * @brief What went wrong in the last call of this thread that failed, for people: the message,
 * with the file, line, JSON path and character where the bad input is, one error a line when
 * there were several.
 *
 * Calls that succeed leave it as it was, so read it right after a call returned a negative
 * status.
 * @return The message; `""` when no call of this thread failed yet. Never NULL. It belongs to
 * the library and stays valid until the next call of this thread that fails.
 */
OUTREACH_API const char *outreach_last_error(void);

/**
 * @brief The errors of the last call of this thread that failed, as a JSON array of objects:
 * `{"code": "unknown_key", "message": "...", "file": "...", "line": 3, "json_path":
 * "steps[0].delay", "offset": 5, "text": "..."}`. `code` is `outreach_strerror`'s name, `text`
 * the one-line form of the error; `file`, `line`, `json_path` and `offset` are absent when not
 * known.
 * @return The JSON text; `"[]"` when no call of this thread failed yet. Never NULL. It belongs to
 * the library and stays valid until the next call of this thread that fails.
 */
OUTREACH_API const char *outreach_last_error_details(void);

/**
 * @brief Frees a string the library returned through a `char **` parameter.
 * @param string The string, or NULL (then nothing happens). It must not be used afterwards.
 */
OUTREACH_API void outreach_string_free(char *string);

/* ---- sequences ------------------------------------------------------------------------- */

/**
 * @brief An immutable sequence of email steps (what a campaign sends). Any number of threads may
 * read one at once.
 */
typedef struct outreach_sequence outreach_sequence;

/**
 * @brief Parses and checks a sequence from JSON text (docs/formats.md, "Sequences").
 * @param out Receives the new sequence, or NULL on failure. Free it with `outreach_sequence_free`.
 * @param json The sequence JSON.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL` for a NULL argument, `OUTREACH_EUTF8`, or every error
 * found in the sequence (the first one's code: `OUTREACH_EPARSE`, `OUTREACH_EVALUE`,
 * `OUTREACH_EUNKNOWNKEY`, `OUTREACH_ELIMIT`, ...), all of them in
 * `outreach_last_error_details`. Thread-safe.
 */
OUTREACH_API int outreach_sequence_from_json(outreach_sequence **out, const char *json);

/**
 * @brief Loads and checks a `sequence.json` file.
 * @param out Receives the new sequence, or NULL on failure. Free it with `outreach_sequence_free`.
 * @param path The file's path.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL`, `OUTREACH_EUTF8` for the path, `OUTREACH_ENOTFOUND`,
 * `OUTREACH_EIO`, or the errors found in the file, as for `outreach_sequence_from_json` (with the
 * file's name). Thread-safe.
 */
OUTREACH_API int outreach_sequence_load(outreach_sequence **out, const char *path);

/**
 * @brief The sequence's fingerprint: the lower-case hexadecimal SHA-256 of its canonical form,
 * the same for equal content on every machine (a campaign pins its sequence by it).
 * @param sequence The sequence.
 * @param out_fingerprint Receives 64 hexadecimal digits, which belong to the sequence and stay
 * valid until it is freed.
 * @return `OUTREACH_OK` or `OUTREACH_EINVAL`.
 */
OUTREACH_API int outreach_sequence_fingerprint(const outreach_sequence *sequence, const char **out_fingerprint);

/**
 * @brief The sequence as JSON in the format it is loaded from, every default written out, so
 * that `outreach_sequence_from_json` of it gives an equal sequence (the same fingerprint).
 * @param sequence The sequence.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL` or `OUTREACH_ENOMEM`.
 */
OUTREACH_API int outreach_sequence_to_json(const outreach_sequence *sequence, char **out_json);

/**
 * @brief Frees a sequence. Campaigns and engines that use it keep their own copy.
 * @param sequence The sequence, or NULL (then nothing happens).
 */
OUTREACH_API void outreach_sequence_free(outreach_sequence *sequence);

/* ---- campaigns ------------------------------------------------------------------------- */

/**
 * @brief A campaign definition (who, when and how: docs/formats.md, "Campaigns"), with its
 * sequence and its leads loaded and checked. Immutable; any number of threads may read one at
 * once.
 */
typedef struct outreach_campaign outreach_campaign;

/**
 * @brief Parses and checks a campaign from JSON text, loading the sequence and lead files it
 * names.
 *
 * Rows of the lead list that are not leads do not make the call fail: they are left out and
 * reported by `outreach_campaign_lead_problems`.
 * @param out Receives the new campaign, or NULL on failure. Free it with `outreach_campaign_free`.
 * @param json The campaign JSON.
 * @param base_dir The folder that relative paths in the campaign (sequence, leads, key files,
 * outbox folders) start from; NULL or `""` for the working directory.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL`, `OUTREACH_EUTF8`, or every error found (the first
 * one's code), all of them in `outreach_last_error_details`. Thread-safe.
 */
OUTREACH_API int outreach_campaign_from_json(outreach_campaign **out, const char *json, const char *base_dir);

/**
 * @brief Loads and checks a `campaign.json` file; relative paths in it start from its folder.
 * @param out Receives the new campaign, or NULL on failure. Free it with `outreach_campaign_free`.
 * @param path The file's path.
 * @return As `outreach_campaign_from_json`, and `OUTREACH_ENOTFOUND` or `OUTREACH_EIO` when the
 * file cannot be read. Thread-safe.
 */
OUTREACH_API int outreach_campaign_load(outreach_campaign **out, const char *path);

/**
 * @brief The campaign's name (what `outreach_engine_start` and the events call it).
 * @param campaign The campaign.
 * @param out_name Receives the name, which belongs to the campaign and stays valid until it is
 * freed.
 * @return `OUTREACH_OK` or `OUTREACH_EINVAL`.
 */
OUTREACH_API int outreach_campaign_name(const outreach_campaign *campaign, const char **out_name);

/**
 * @brief How many leads the campaign has (rows left out not counted).
 * @param campaign The campaign.
 * @param out_count Receives the number.
 * @return `OUTREACH_OK` or `OUTREACH_EINVAL`.
 */
OUTREACH_API int outreach_campaign_lead_count(const outreach_campaign *campaign, size_t *out_count);

/**
 * @brief The rows of the lead list that were left out, or whose fields were dropped, while the
 * campaign was loaded, as a JSON array of error objects (the shape of
 * `outreach_last_error_details`); `"[]"` when there were none.
 * @param campaign The campaign.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL` or `OUTREACH_ENOMEM`.
 */
OUTREACH_API int outreach_campaign_lead_problems(const outreach_campaign *campaign, char **out_json);

/**
 * @brief The campaign as the JSON of its file, with everything inline and resolved (the
 * `definition` of an `update` request, `outreach_store_request`).
 * @param campaign The campaign.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL` or `OUTREACH_ENOMEM`.
 */
OUTREACH_API int outreach_campaign_to_json(const outreach_campaign *campaign, char **out_json);

/**
 * @brief Reads a lead list file (CSV, or the JSON form when the name ends in `.json`) as
 * `{"leads":[...],"problems":[...]}`: the leads as the JSON lead list (the `leads` of an
 * `add_leads` request, `outreach_store_request`) and the rows left out or changed, as error
 * objects with their file and line (the shape of `outreach_last_error_details`).
 * @param path The file.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND`, `OUTREACH_EIO`, `OUTREACH_EPARSE` or
 * `OUTREACH_EVALUE` (no valid row) with the details; `OUTREACH_EINVAL`, `OUTREACH_ENOMEM`.
 */
OUTREACH_API int outreach_leads_load(const char *path, char **out_json);

/**
 * @brief The campaign's sequence, as a sequence of its own.
 * @param out Receives the sequence, or NULL on failure. Free it with `outreach_sequence_free`;
 * it does not depend on the campaign.
 * @param campaign The campaign.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL` or `OUTREACH_ENOMEM`.
 */
OUTREACH_API int outreach_campaign_sequence(outreach_sequence **out, const outreach_campaign *campaign);

/**
 * @brief Frees a campaign. Engines it was added to keep their own copy.
 * @param campaign The campaign, or NULL (then nothing happens).
 */
OUTREACH_API void outreach_campaign_free(outreach_campaign *campaign);

/* ---- transports ------------------------------------------------------------------------ */

/** @brief `outreach_send_outcome::kind`: the server took the message. */
#define OUTREACH_SEND_ACCEPTED 0
/** @brief `outreach_send_outcome::kind`: try again later (4xx, a network fault, 5.2.2). */
#define OUTREACH_SEND_TEMPORARY 1
/** @brief `outreach_send_outcome::kind`: refused for good (other 5xx). A status of `5.1.x`
 * also makes it a hard bounce, and the address is suppressed. */
#define OUTREACH_SEND_PERMANENT 2

/**
 * @brief How a send ended, filled in by a custom transport's `send` callback.
 *
 * The library sets every field before the call (accepted, code 0, NULL strings) and copies the
 * strings when the call returns, so they only need to stay valid until then. Strings must be
 * UTF-8 or NULL.
 */
typedef struct outreach_send_outcome {
  int kind;             /**< `OUTREACH_SEND_ACCEPTED`, `_TEMPORARY` or `_PERMANENT`. */
  int code;             /**< The SMTP reply code (such as 250, 421, 550), or 0 when none. */
  const char *status;   /**< The enhanced status code (such as `"5.1.1"`), or NULL. */
  const char *reason;   /**< What the server or the network said, or NULL. Never credentials. */
  const char *queue_id; /**< The server's queue id for an accepted message, or NULL. */
} outreach_send_outcome;

/**
 * @brief Sends one message: the `send` callback of a custom transport.
 *
 * Called on the thread running the engine, one message at a time. Every string is
 * NUL-terminated UTF-8 and valid only during the call.
 * @param mailbox_id The sending mailbox's `id` (from the campaign).
 * @param envelope_from The SMTP `MAIL FROM` address.
 * @param envelope_to The SMTP `RCPT TO` address.
 * @param message_id The Message-ID, with its angle brackets.
 * @param data The complete RFC 5322 message (CRLF line endings, no dot-stuffing). It is `""`
 * when the transport set `needs_message_data` to 0. It may contain any byte but NUL.
 * @param size The number of bytes in `data`.
 * @param requires_smtputf8 1 when an address has a non-ASCII local part (the server must offer
 * SMTPUTF8), else 0.
 * @param outcome Filled in with the outcome (see `outreach_send_outcome`).
 * @param user_data The transport's `user_data`.
 * @return 0 when `outcome` says how the send ended. Any other value means the callback itself
 * failed: the send counts as a temporary failure with reason `"transport callback failed"` (it
 * is tried again later) and the engine goes on. An `outcome` with an unknown `kind` or a string
 * that is not UTF-8 counts as such a failure too.
 */
typedef int (*outreach_send_fn)(const char *mailbox_id, const char *envelope_from, const char *envelope_to,
                                const char *message_id, const char *data, size_t size, int requires_smtputf8,
                                outreach_send_outcome *outcome, void *user_data);

/** @brief The `version` of `outreach_transport` that this header describes. */
#define OUTREACH_TRANSPORT_VERSION 1

/**
 * @brief A transport written by the host (an HTTP mail API, a queue, a test double): a struct of
 * callbacks, copied when the engine is opened.
 */
typedef struct outreach_transport {
  int version;            /**< `OUTREACH_TRANSPORT_VERSION`. */
  int needs_message_data; /**< Non-zero when `send` reads the message's bytes; 0 when it only
                               decides outcomes (then the engine does not build them). */
  outreach_send_fn send;  /**< Sends one message (required). */
  void *user_data;        /**< Passed to `send`; it must stay valid while the engine lives. */
} outreach_transport;

/* ---- SMTP ------------------------------------------------------------------------------ */

/**
 * @brief A login for SMTP AUTH, filled in by an `outreach_smtp_credentials_fn`.
 *
 * The library sets both fields to NULL before the call and copies the strings when the call
 * returns, so they only need to stay valid until then.
 */
typedef struct outreach_smtp_credentials {
  const char *username; /**< The login name (for XOAUTH2 the account's address), UTF-8; NULL for
                             the mailbox's own `username` (for IMAP, that of its `imap`
                             settings when they have one). */
  const char *secret;   /**< The password, or for XOAUTH2 the OAuth2 access token, UTF-8
                             (required). Never logged, traced or put in an error message. */
} outreach_smtp_credentials;

/**
 * @brief Supplies a mailbox's SMTP credentials, instead of the environment variables its
 * `password_env` and `token_env` name.
 *
 * Called on the thread that is sending, before each AUTH.
 * @param mailbox_id The mailbox's `id`.
 * @param mechanism The mechanism about to be used: `"plain"`, `"login"` or `"xoauth2"`.
 * @param refresh 1 when the server refused the secret given last time on this connection (an
 * OAuth2 host fetches a new access token then; the library asks once more at most, then gives
 * up on the connection); otherwise 0.
 * @param credentials Filled in by the callback (see `outreach_smtp_credentials`).
 * @param user_data The `user_data` of the `outreach_smtp_callbacks`.
 * @return 0 when `credentials` holds a login. Any other value means there is none: the send
 * ends as a temporary failure saying that the credentials callback failed, and so does a NULL
 * `secret` or a string that is not UTF-8.
 */
typedef int (*outreach_smtp_credentials_fn)(const char *mailbox_id, const char *mechanism, int refresh,
                                            outreach_smtp_credentials *credentials, void *user_data);

/**
 * @brief Receives the SMTP protocol as it happens, one line per call.
 * @param line `"C: "` and what the library sent, or `"S: "` and what the server answered,
 * without the line end; valid only during the call. AUTH secrets are written as `<redacted>`,
 * message data is left out, and bytes that are not UTF-8 are replaced by U+FFFD.
 * @param user_data The `user_data` of the `outreach_smtp_callbacks`.
 */
typedef void (*outreach_smtp_trace_fn)(const char *line, void *user_data);

/** @brief The `version` of `outreach_smtp_callbacks` that this header describes. */
#define OUTREACH_SMTP_CALLBACKS_VERSION 1

/**
 * @brief The host's callbacks for SMTP sending: a struct copied when the engine or SMTP handle
 * is opened. Every callback is optional.
 */
typedef struct outreach_smtp_callbacks {
  int version;                              /**< `OUTREACH_SMTP_CALLBACKS_VERSION`. */
  outreach_smtp_credentials_fn credentials; /**< Supplies credentials, or NULL for the
                                                 environment variables of each mailbox. */
  outreach_smtp_trace_fn trace;             /**< Receives the protocol, or NULL. */
  void *user_data; /**< Passed to both; it must stay valid while the engine or handle lives. */
} outreach_smtp_callbacks;

/* ---- IMAP ------------------------------------------------------------------------------ */

/** @brief The `version` of `outreach_imap_callbacks` that this header describes. */
#define OUTREACH_IMAP_CALLBACKS_VERSION 1

/**
 * @brief The host's callbacks for reading mailboxes over IMAP (docs/imap.md): a struct copied
 * when the engine or reader is opened. Every callback is optional.
 *
 * `credentials` is called before each login, on the thread reading, with `mechanism` `"plain"`
 * (AUTHENTICATE PLAIN), `"login"` (the LOGIN command) or `"xoauth2"`, and `refresh` 1 once after
 * the server refused the secret given last; without it, each mailbox's password (or token) comes
 * from the environment variable its `imap` settings (or else its SMTP settings) name. `trace`
 * receives the protocol (`"C: "` and `"S: "` lines; secrets as `<redacted>`, message bodies left
 * out).
 */
typedef struct outreach_imap_callbacks {
  int version;                              /**< `OUTREACH_IMAP_CALLBACKS_VERSION`. */
  outreach_smtp_credentials_fn credentials; /**< Supplies credentials, or NULL. */
  outreach_smtp_trace_fn trace;             /**< Receives the protocol, or NULL. */
  void *user_data; /**< Passed to both; it must stay valid while the engine or reader lives. */
} outreach_imap_callbacks;

/* ---- engines --------------------------------------------------------------------------- */

/**
 * @brief Runs any number of campaigns over one store, one transport and one clock, and keeps
 * their event log and analytics. Used by one thread at a time (see "Threads" above).
 */
typedef struct outreach_engine outreach_engine;

/** @brief Log level: something failed (such as the event callback). */
#define OUTREACH_LOG_ERROR 1
/** @brief Log level: worth telling a person, not an error (see `outreach_engine_warnings`). */
#define OUTREACH_LOG_WARNING 2
/** @brief Log level: what is going on, such as a mailbox read again after a failure. */
#define OUTREACH_LOG_INFO 3

/**
 * @brief Receives the engine's log messages: the warnings of `outreach_engine_warnings` as they
 * appear, a transport callback that failed, an event callback that failed.
 * @param level `OUTREACH_LOG_ERROR` or `OUTREACH_LOG_WARNING` (other levels may be added).
 * @param message The message, UTF-8, valid only during the call.
 * @param user_data The `log_user_data` of the engine's options.
 */
typedef void (*outreach_log_fn)(int level, const char *message, void *user_data);

/**
 * @brief Receives every event of the engine, as it happens.
 * @param json_line The event as one line of JSON without the line end, exactly as a line of
 * `outreach simulate --events` (docs/formats.md, "Events"); valid only during the call.
 * @param user_data The `user_data` given to `outreach_engine_set_event_callback`.
 * @return 0 to go on. Any other value stops the engine: the callback is not called again, the
 * call that is running returns `OUTREACH_ECALLBACK` when its current step is done, and the
 * engine does not run again (as after `outreach_engine_request_stop`). The events after it are
 * still recorded.
 */
typedef int (*outreach_event_fn)(const char *json_line, void *user_data);

/** @brief `outreach_engine_options::transport`: accept every message and write nothing. */
#define OUTREACH_TRANSPORT_DRY_RUN 0
/** @brief `outreach_engine_options::transport`: write every message as a `.eml` file into the
 * Maildir `outbox_dir` (its `new/` folder), named after its Message-ID. */
#define OUTREACH_TRANSPORT_OUTBOX 1
/** @brief `outreach_engine_options::transport`: send through the host's `custom_transport`. */
#define OUTREACH_TRANSPORT_CUSTOM 2
/** @brief `outreach_engine_options::transport`: send each message through its mailbox's own
 * `transport`: `smtp://` and `smtps://` mailboxes over SMTP (with `smtp_settings` and
 * `smtp_callbacks`), `outbox:DIR` mailboxes into that Maildir. Adding a campaign checks each of
 * its mailboxes (a transport set, credentials available, a readable `ca_file`). */
#define OUTREACH_TRANSPORT_MAILBOX 3

/** @brief `outreach_engine_options::flags`: count events but do not keep them for
 * `outreach_engine_events`/`outreach_engine_event` (long simulations); the event callback still
 * gets every one. */
#define OUTREACH_ENGINE_DISCARD_EVENTS 1u

/** @brief `outreach_engine_options::flags`: with a `store_path`, each write to the store waits
 * until it is on the disk (SQLite `synchronous=FULL`), so that it also survives a power cut or a
 * crash of the system, at the cost of disk flushes per send. Without it a write survives a
 * killed or crashed process (`synchronous=NORMAL`), and a power cut may lose the last ones (an
 * intent lost so lets its send go again). Refused without a `store_path`. */
#define OUTREACH_ENGINE_DURABLE_POWER 2u

/** @brief `outreach_engine_options::flags`: `outreach_engine_run` does not read the mailboxes
 * that have `imap` settings (with options of version 3 it does by default, as `outreach run`
 * does; with older options, or none, it never does). */
#define OUTREACH_ENGINE_NO_MAIL_READING 4u

/** @brief The `version` of `outreach_engine_options` that this header describes. Versions 1
 * (without `smtp_settings` and `smtp_callbacks`) and 2 (without `imap_callbacks`) are still
 * accepted: the fields they lack are then not read, and have their defaults. */
#define OUTREACH_ENGINE_OPTIONS_VERSION 3

/**
 * @brief How to open an engine. Set every field (a zeroed struct with `version` set is a dry
 * run that keeps its events and logs nowhere).
 */
typedef struct outreach_engine_options {
  int version;   /**< `OUTREACH_ENGINE_OPTIONS_VERSION`. */
  int transport; /**< `OUTREACH_TRANSPORT_DRY_RUN`, `_OUTBOX`, `_CUSTOM` or `_MAILBOX`. */
  const char *outbox_dir; /**< For `OUTREACH_TRANSPORT_OUTBOX`: the Maildir (made when missing);
                               otherwise NULL. */
  const outreach_transport *custom_transport; /**< For `OUTREACH_TRANSPORT_CUSTOM`: the
                                                   callbacks (copied); otherwise NULL. */
  unsigned int flags;     /**< 0, or any of `OUTREACH_ENGINE_DISCARD_EVENTS`,
                               `OUTREACH_ENGINE_DURABLE_POWER` and
                               `OUTREACH_ENGINE_NO_MAIL_READING` (bits that any version of
                               the struct may set). */
  outreach_log_fn log;    /**< Receives log messages, or NULL. */
  void *log_user_data;    /**< Passed to `log`; it must stay valid while the engine lives. */
  const char *smtp_settings; /**< Version 2. For `OUTREACH_TRANSPORT_MAILBOX`: the SMTP settings
                                  as a JSON object (see `outreach_smtp_open`), or NULL for the
                                  defaults; otherwise NULL. */
  const outreach_smtp_callbacks *smtp_callbacks; /**< Version 2. For
                                                      `OUTREACH_TRANSPORT_MAILBOX`: the
                                                      credentials and trace callbacks (copied),
                                                      or NULL; otherwise NULL. */
  const outreach_imap_callbacks *imap_callbacks; /**< Version 3. The IMAP credentials and trace
                                                      callbacks (copied), or NULL; for any
                                                      transport. */
} outreach_engine_options;

/**
 * @brief Opens an engine on a store, with a transport.
 *
 * The engine has no time until the first `outreach_engine_simulate` (a manual clock) or
 * `outreach_engine_run` (the system clock) gives it one, and keeps that clock from then on.
 *
 * With a `store_path`, the engine keeps all its state in that SQLite file or PostgreSQL
 * database (docs/storage.md):
 * the campaigns, the event log, the send intents and the suppression list, each write committed
 * before the call that made it returns. The engine holds the store's engine lock until it is
 * freed, so no second engine, in this process or another, runs the same store meanwhile; the
 * lock is the system's and ends with the process however it ends. A campaign added and started
 * that the store has already goes on where it was: its events are replayed, not repeated (and
 * not given to the event callback or to `outreach_engine_events` again), a send left in doubt
 * by a crash is settled by the campaign's `delivery`, and the first simulation starts no
 * earlier than the campaigns' last stored event. The campaign must be added with the sequence
 * it started with.
 * @param out Receives the engine, or NULL on failure. Free it with `outreach_engine_free`.
 * @param store_path The store file, such as `"outreach.db"`, created when missing (its folder
 * must exist), upgraded when it is of an older schema; or a `postgresql://` URI, whose
 * database keeps the store in its schema `outreach` (docs/postgresql.md); or NULL to keep the
 * state in memory, where it ends with the engine.
 * @param options How to open it, or NULL for a dry run that keeps its events and logs nowhere.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL` for a NULL `out`, an unknown options, transport or
 * callbacks version, an unknown transport or flag, `OUTREACH_ENGINE_DURABLE_POWER` without a
 * `store_path`, a missing or unexpected `outbox_dir`, `custom_transport`, `smtp_settings` or
 * `smtp_callbacks`, a custom transport without `send`; `OUTREACH_EPARSE`, `OUTREACH_EVALUE` or
 * `OUTREACH_EUNKNOWNKEY` for SMTP settings that are not what `outreach_smtp_open` takes;
 * `OUTREACH_EUTF8`; `OUTREACH_EIO` when the outbox cannot be made. For the store, with
 * `outreach_last_error` naming the file and why, and the file left as it was:
 * `OUTREACH_EUNAVAILABLE` when another engine holds its lock (the message gives the holder's
 * process id); `OUTREACH_EVALUE` for a file that is not an outreach store (not SQLite, another
 * application's database), a store of a newer schema, or a damaged one; `OUTREACH_ENOTFOUND`
 * when its folder does not exist; `OUTREACH_EIO` when it cannot be read or written.
 * Thread-safe.
 */
OUTREACH_API int outreach_engine_open(outreach_engine **out, const char *store_path,
                                      const outreach_engine_options *options);

/**
 * @brief Frees an engine. No other thread may be using it, and no callback of it may be running.
 * @param engine The engine, or NULL (then nothing happens).
 */
OUTREACH_API void outreach_engine_free(outreach_engine *engine);

/**
 * @brief Sets the function that receives every event from now on (register it before running to
 * see every event), replacing the one set before.
 * @param engine The engine.
 * @param callback The function, or NULL to stop receiving events.
 * @param user_data Passed to `callback`; it must stay valid while it is set.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL` or `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_set_event_callback(outreach_engine *engine, outreach_event_fn callback,
                                                    void *user_data);

/**
 * @brief Adds a campaign (in `draft` status until `outreach_engine_start`). The engine keeps a
 * copy: the campaign handle may be freed afterwards.
 *
 * Mailboxes are shared by every campaign of an engine; a mailbox `id` defined again with other
 * settings takes the later settings, with a warning.
 * @param engine The engine.
 * @param campaign The campaign.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL` for a NULL argument or when a campaign of that name
 * was added already; `OUTREACH_EVALUE` or `OUTREACH_ENOTFOUND` when the engine's transport cannot
 * send from one of the campaign's mailboxes (with `OUTREACH_TRANSPORT_MAILBOX`: a mailbox
 * without a `transport`, without credentials, or with a `ca_file` that is not there);
 * `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_add_campaign(outreach_engine *engine, const outreach_campaign *campaign);

/**
 * @brief Starts a campaign: its leads enter at the schedule's start, or at the clock's time if
 * later. Starting a campaign that is not a draft does nothing.
 *
 * Before the engine has a clock (see `outreach_engine_open`), the start waits, in order with
 * pauses and resumes, until the first `outreach_engine_simulate` or `outreach_engine_run`.
 * @param engine The engine.
 * @param name The campaign's name.
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND` when no campaign has that name; `OUTREACH_EINVAL`,
 * `OUTREACH_EUTF8`, `OUTREACH_EBUSY`; `OUTREACH_ECALLBACK` when the event callback failed; the
 * store's code when the engine stopped because its store could not write (see
 * `outreach_engine_simulate`); `OUTREACH_EVALUE` when the store has the campaign started with
 * another sequence (a campaign keeps its sequence).
 */
OUTREACH_API int outreach_engine_start(outreach_engine *engine, const char *name);

/**
 * @brief Pauses a running campaign (event `campaign_paused`, reason `request`): nothing is sent
 * for it until `outreach_engine_resume`. Pausing a campaign that is not running does nothing.
 * @param engine The engine.
 * @param name The campaign's name.
 * @return As `outreach_engine_start`.
 */
OUTREACH_API int outreach_engine_pause(outreach_engine *engine, const char *name);

/**
 * @brief Resumes a paused campaign (event `campaign_resumed`, reason `request`). Resuming a
 * campaign that is not paused does nothing.
 * @param engine The engine.
 * @param name The campaign's name.
 * @return As `outreach_engine_start`.
 */
OUTREACH_API int outreach_engine_resume(outreach_engine *engine, const char *name);

/**
 * @brief Queues something that came back for a lead; it is applied at its `at` (at once if the
 * clock has passed it), as if the message had arrived then.
 * @param engine The engine.
 * @param json_line One line of an inbound script (docs/formats.md, "Inbound scripts"):
 * `{"at": "...", "lead": "...", "type": "reply"|"auto_reply"|"bounce"|"unsubscribe"|"complaint",
 * "kind": "hard"|"soft", "return_date": "YYYY-MM-DD", "campaign": "..."}`.
 * @return `OUTREACH_OK`; `OUTREACH_EPARSE`, `OUTREACH_EVALUE` or `OUTREACH_EUNKNOWNKEY` for a
 * line that is not an inbound event; `OUTREACH_ENOTFOUND` when no campaign (or not the one
 * named) has the lead, and nothing changes; `OUTREACH_EINVAL`, `OUTREACH_EUTF8`,
 * `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_queue_inbound(outreach_engine *engine, const char *json_line);

/**
 * @brief Simulates on a manual clock: moves it from one instant with something to do to the
 * next, until nothing is left to do (every lead ended, every inbound event applied) or until
 * `until`. What is decided, sent and recorded is what `outreach simulate` does: the same
 * events and the same summary.
 *
 * The first call gives the engine its clock, at `from`; a later call goes on from where the
 * clock is (or from `from`, which may not be earlier). Sends go through the engine's transport.
 * @param engine The engine.
 * @param from The instant to start from, RFC 3339 (`2026-12-01T14:00:00Z`); NULL for the
 * earliest `schedule.start` of the campaigns added, or, on a later call, where the clock is.
 * @param until The last instant to simulate, RFC 3339; NULL for no limit.
 * @return `OUTREACH_OK` (also after a stop request); `OUTREACH_EINVAL` for a NULL engine, an
 * instant that is not RFC 3339, no `from` and no campaign with a start, a `from` earlier than the
 * clock, or an engine that ran on the system clock; `OUTREACH_EUTF8`, `OUTREACH_EBUSY`,
 * `OUTREACH_ECALLBACK`. When the engine stopped because its store could not write (a full
 * disk, a lock taken by another connection, ...), the store's code (`OUTREACH_EIO`,
 * `OUTREACH_EUNAVAILABLE`, ...) with its message in `outreach_last_error`: nothing is sent
 * after a write that failed, a send whose outcome could not be recorded is in doubt the next
 * time, and every later call that changes the engine (this one, `outreach_engine_run`,
 * `outreach_engine_start`, ...) returns the same error; free it and open the store again.
 */
OUTREACH_API int outreach_engine_simulate(outreach_engine *engine, const char *from, const char *until);

/**
 * @brief Runs on the system clock, in real time: blocks, waiting until something is due, until
 * nothing is left to do, `until` passes, or `outreach_engine_request_stop` is called.
 *
 * Meanwhile it reads every mailbox that has `imap` settings (when the engine was opened with
 * options of version 3 or later, without `OUTREACH_ENGINE_NO_MAIL_READING`), as `outreach run` does (docs/imap.md): replies, bounces,
 * auto-replies, unsubscribe requests and complaints are applied as they arrive, sends left in
 * doubt are settled through the Sent folder, and it keeps running after a campaign's last send
 * for its `read_after_last_send` (or until `until`). A mailbox that cannot be read goes to the log
 * callback (`OUTREACH_LOG_WARNING`; `OUTREACH_LOG_INFO` when it is read again), to the
 * campaigns' events (`mailbox_unreadable`) and to the summary's `mail_checks`; the run goes on.
 * @param engine The engine.
 * @param until The last instant to run, RFC 3339; NULL for no limit.
 * @return `OUTREACH_OK` (also after a stop request); `OUTREACH_EINVAL` for a NULL engine, an
 * instant that is not RFC 3339, or an engine that simulated on a manual clock; `OUTREACH_EVALUE`
 * for a mailbox whose `imap` settings cannot be used (a `ca_file` that cannot be read);
 * `OUTREACH_EUTF8`, `OUTREACH_EBUSY`, `OUTREACH_ECALLBACK`; the store's code when the engine
 * stopped because its store could not write, as for `outreach_engine_simulate`.
 */
OUTREACH_API int outreach_engine_run(outreach_engine *engine, const char *until);

/**
 * @brief Asks `outreach_engine_run` (or `outreach_engine_simulate`) to return after the send in
 * progress. Safe from any thread and from a signal handler: it only sets an atomic flag, and it
 * does not touch `outreach_last_error`.
 *
 * A stop is final: later calls to run or simulate return at once.
 * @param engine The engine; it must stay valid while this runs.
 * @return `OUTREACH_OK`, or `OUTREACH_EINVAL` for a NULL engine.
 */
OUTREACH_API int outreach_engine_request_stop(outreach_engine *engine);

/**
 * @brief How many events the engine has had (kept or not).
 * @param engine The engine.
 * @param out_count Receives the number.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL` or `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_event_count(const outreach_engine *engine, size_t *out_count);

/**
 * @brief The events from index `since` on (0 = the first event), as a JSON array of event
 * objects (each one exactly a line of `outreach simulate --events`).
 * @param engine The engine.
 * @param since The index of the first event wanted: the event count seen last time, to get
 * only what is new. Equal to the count: `"[]"`.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL` for a NULL argument, `since` greater than the count,
 * or an engine opened with `OUTREACH_ENGINE_DISCARD_EVENTS`; `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_events(const outreach_engine *engine, size_t since, char **out_json);

/**
 * @brief One event, as one line of JSON (without the line end).
 * @param engine The engine.
 * @param index The event's index (0 = the first).
 * @param out_json_line Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND` when there is no event at `index` (yet);
 * `OUTREACH_EINVAL` for a NULL argument or an engine opened with
 * `OUTREACH_ENGINE_DISCARD_EVENTS`; `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_event(const outreach_engine *engine, size_t index, char **out_json_line);

/**
 * @brief Every campaign's status and analytics, as the JSON object of `outreach simulate
 * --json` and `outreach status --json` (docs/formats.md, "Summaries"): `{"campaigns": [...]}`,
 * one line, with `mail_checks` when a mailbox was read over IMAP.
 * @param engine The engine.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL`, `OUTREACH_ENOMEM` or `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_summary(const outreach_engine *engine, char **out_json);

/**
 * @brief Things worth telling a person that are not errors (a mailbox defined again with other
 * settings, an unsubscribe secret that is not set, ...), as a JSON array of strings, oldest
 * first. Each one also went to the log callback, if any.
 * @param engine The engine.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL`, `OUTREACH_ENOMEM` or `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_engine_warnings(const outreach_engine *engine, char **out_json);

/* ---- received mail ------------------------------------------------------------------- */

/**
 * @brief Takes in one received message — a reply, an auto-reply, a bounce (DSN), a spam
 * complaint (ARF), an unsubscribe request — as `outreach ingest` does: classifies it, matches it
 * to one of the engine's sends (by `In-Reply-To`, then `References`, then the Message-ID a report
 * encloses, then the address a report names or the sender's address), and applies it at the
 * clock's current time through the campaign's stop rules, its `bounces` settings and the
 * suppression list. Nothing is sent. Its events (`replied`, `bounced`, `stopped`, ...) go to the
 * event callback and the event log as any other.
 *
 * A message taken in before (the same Message-ID, or the same bytes when it has none) changes
 * nothing and is reported with `"duplicate": true`; with a store file, that holds across engines.
 * A message that matches none of the engine's sends (or that is not mail about them) changes
 * nothing either: it is reported as it was classified, with null `campaign`, `lead` and `step`
 * (an unmatched reply is `unknown`). Neither is an error.
 *
 * An engine without a clock yet (see `outreach_engine_open`) takes the system clock, as
 * `outreach_engine_run` does, so that the message arrives now; on a manual clock it arrives at the
 * clock's time (after `outreach_engine_simulate`).
 * @param engine The engine, with the campaigns the message may be about added and started.
 * @param raw The message as received (RFC 5322, CRLF or LF line ends): any bytes, NUL included.
 * May be NULL when `length` is 0.
 * @param length The number of bytes in `raw`.
 * @param out_json Receives what the message was and what it matched, one JSON object: `{"class":
 * "reply"|"auto_reply"|"bounce"|"complaint"|"unsubscribe"|"unknown", "kind": "hard"|"soft"
 * (bounces only), "campaign", "lead", "step" (null when not matched), "matched_by": "none"|
 * "in_reply_to"|"references"|"original_message_id"|"recipient"|"sender", "duplicate": false,
 * "evidence": ["..."]}`, with `status`, `diagnostic`, `recipient`, `original_message_id`,
 * `return_date` and `from` when found. Free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, also for a message that matched nothing or is not mail at all;
 * `OUTREACH_EINVAL` for a NULL engine or `out_json`, or a NULL `raw` with a `length`;
 * `OUTREACH_EVALUE` for a message larger than the library reads (64 MiB); `OUTREACH_EBUSY`;
 * `OUTREACH_ECALLBACK` when the event callback failed; the store's code when it cannot record the
 * message (nothing was applied; see `outreach_engine_simulate`).
 */
OUTREACH_API int outreach_engine_ingest(outreach_engine *engine, const char *raw, size_t length, char **out_json);

/* ---- the engine's store: the suppression list, forgetting ----------------------------- */

/**
 * @brief Adds an address to the suppression list of the engine's store (`outreach suppress
 * add`): no campaign of any engine on the store sends to it again (a lead's next step is
 * `skipped` with reason `suppressed`). An address on the list already keeps its entry.
 * @param engine The engine (its store is in memory or the file of `store_path`).
 * @param address The address, such as `"ann@example.com"` (spaces around it are dropped; no
 * display name). The list keeps it in lower case and compares without regard to case.
 * @param reason Why, kept with the entry (such as `"request"`); NULL for `"manual"`.
 * @return `OUTREACH_OK`; `OUTREACH_EVALUE` for an address that is not one (the message says
 * why); `OUTREACH_EINVAL` for a NULL engine or address or an empty reason; `OUTREACH_EUTF8`;
 * `OUTREACH_EBUSY`; the store's code when it cannot write (`OUTREACH_EIO`,
 * `OUTREACH_EUNAVAILABLE`, ...).
 */
OUTREACH_API int outreach_engine_suppress(outreach_engine *engine, const char *address, const char *reason);

/**
 * @brief Removes an address from the suppression list of the engine's store (`outreach suppress
 * remove`). Removing one that is not on it does nothing.
 * @param engine The engine.
 * @param address The address (compared without regard to case).
 * @return As `outreach_engine_suppress`.
 */
OUTREACH_API int outreach_engine_unsuppress(outreach_engine *engine, const char *address);

/**
 * @brief The suppression list of the engine's store (`outreach suppress list`), as a JSON array
 * ordered by address: `[{"address": "ann@example.com", "reason": "manual"}, ...]`. Entries come
 * from `outreach_engine_suppress`, imports, unsubscribes, complaints and hard bounces (reasons
 * `unsubscribe`, `complaint`, `hard_bounce`).
 * @param engine The engine.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL`, `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`; the store's code
 * when it cannot be read.
 */
OUTREACH_API int outreach_engine_suppressions(const outreach_engine *engine, char **out_json);

/**
 * @brief Adds every address of a file to the suppression list of the engine's store (`outreach
 * suppress import`), all in one write: all of them are added, or none when the store cannot
 * write.
 *
 * The file is one address a line (spaces around it dropped; blank lines and lines starting with
 * `#` skipped), or, when its first line is a CSV header (it has a comma, or is `email`), a CSV
 * list with an `email` column, read as a lead list is (docs/formats.md, "Leads"). Lines that are
 * not an address do not make the call fail: they are left out and reported.
 * @param engine The engine.
 * @param path The file.
 * @param reason Why, kept with each entry; NULL for `"manual"`.
 * @param out_json Receives `{"suppressed": 2, "problems": [...]}`: how many addresses were put
 * on the list (those on it already included), and the lines left out, as error objects (the
 * shape of `outreach_last_error_details`, with `file` and `line`). Free it with
 * `outreach_string_free`.
 * @return `OUTREACH_OK`, also when lines were left out; `OUTREACH_ENOTFOUND` or `OUTREACH_EIO`
 * when the file cannot be read; `OUTREACH_EPARSE` or `OUTREACH_EVALUE` for a CSV list that cannot
 * be read at all (no `email` column, no valid row, an unterminated quote); `OUTREACH_EINVAL`,
 * `OUTREACH_EUTF8`, `OUTREACH_EBUSY`; the store's code when it cannot write (nothing was added).
 */
OUTREACH_API int outreach_engine_import_suppressions(outreach_engine *engine, const char *path, const char *reason,
                                                     char **out_json);

/**
 * @brief Erases everything the engine's store holds about an address — its events and open
 * send intents in every campaign — except its suppression entry (`outreach forget`).
 *
 * Campaigns added to this engine keep what they know of the lead in memory (their summary still
 * counts it) and their definitions keep its row of the lead list; suppress the address first,
 * so that nothing more is sent to it or recorded beyond a `skipped`.
 * @param engine The engine.
 * @param address The address (compared without regard to case).
 * @param out_count Receives how many records were erased (0 when the store had none).
 * @return `OUTREACH_OK`; `OUTREACH_EVALUE` for an address that is not one; `OUTREACH_EINVAL`,
 * `OUTREACH_EUTF8`, `OUTREACH_EBUSY`; the store's code when it cannot write (nothing was
 * erased).
 */
OUTREACH_API int outreach_engine_forget(outreach_engine *engine, const char *address, size_t *out_count);

/* ---- reading a store file ------------------------------------------------------------- */

/**
 * @brief A store file opened for reading only, without the engine lock, so that it can be read
 * while an engine — of this process or another — runs on it (`outreach status --store`,
 * `outreach events --store`): it reads what the engine has committed. Used by one thread at a
 * time: a call made while another thread is inside one of its functions fails with
 * `OUTREACH_EBUSY`.
 */
typedef struct outreach_store_reader outreach_store_reader;

/**
 * @brief Opens a store file for reading. It takes no lock and writes nothing to the file.
 * @param out Receives the reader, or NULL on failure. Free it with `outreach_store_reader_free`.
 * @param store_path The store file, or the `postgresql://` URI of a store's database, made by
 * an engine (`outreach_engine_open` with a `store_path`, `outreach run --store`, ...).
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND` when there is no such file or database, or no
 * store in the database; `OUTREACH_EUNAVAILABLE` when its server cannot be reached; `OUTREACH_EVALUE` for a
 * file that is not an outreach store (not SQLite, another application's database), a store of a
 * newer or older schema (open it once with an engine to upgrade it), or a damaged one;
 * `OUTREACH_EIO` when it cannot be read; `OUTREACH_EINVAL`, `OUTREACH_EUTF8`. The message names
 * the file and why. Thread-safe.
 */
OUTREACH_API int outreach_store_reader_open(outreach_store_reader **out, const char *store_path);

/**
 * @brief Every campaign of the store with its status and analytics, the JSON object of `outreach
 * status --json` (docs/formats.md, "Summaries"): the campaigns are rebuilt from their events, as
 * an engine opening the store would, without writing anything (a send left in doubt shows in
 * `in_doubt`).
 * @param reader The reader.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL`, `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`; the error of a
 * stored campaign that cannot be rebuilt; the store's code when it cannot be read (a reader
 * whose read failed keeps failing: free it and open the file again).
 */
OUTREACH_API int outreach_store_reader_status(const outreach_store_reader *reader, char **out_json);

/**
 * @brief Why a lead has not been emailed yet, as `outreach explain --json` gives it: a JSON
 * object with `campaign`, `lead`, `at`, `status`, `next_step` (or null), `earliest` (an instant or
 * null), `held_by` (a list of `{"reason", "until"}`) and `history` (docs/formats.md, "explain").
 * Nothing is written to the store.
 * @param reader The reader.
 * @param campaign The campaign's name.
 * @param lead The lead's address (compared case-insensitively).
 * @param at The instant asked about, RFC 3339; NULL for the campaign's last event. Not before it.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND` for a campaign or lead the store does not have;
 * `OUTREACH_EINVAL` for a NULL argument, an `at` that is not RFC 3339 or is before the last event;
 * `OUTREACH_EUTF8`, `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`; the store's code when it cannot be read.
 */
OUTREACH_API int outreach_store_reader_explain(const outreach_store_reader *reader, const char *campaign,
                                               const char *lead, const char *at, char **out_json);

/**
 * @brief What a stored campaign will send, as `outreach forecast --json` gives it: a JSON object
 * with `campaign`, `from`, `ends` (an instant or null), `sends` and `days` (`[{"date", "mailbox",
 * "sent"}]`, as a summary's), found by running the engine forward without writing anything
 * (docs/formats.md, "forecast").
 * @param reader The reader.
 * @param campaign The campaign's name.
 * @param from The instant it starts from, RFC 3339; NULL for the campaign's last event. Not before it.
 * @param reply_rate The share of sends answered, a day after each: 0 to 1.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND` for a campaign the store does not have;
 * `OUTREACH_EINVAL` for a NULL argument, a `from` that is not RFC 3339 or is before the last
 * event, a rate outside 0 to 1; `OUTREACH_EUTF8`, `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`; the store's
 * code when it cannot be read.
 */
OUTREACH_API int outreach_store_reader_forecast(const outreach_store_reader *reader, const char *campaign,
                                                const char *from, double reply_rate, char **out_json);

/**
 * @brief The store's event log, as `outreach events` gives it: a JSON array of event objects
 * (each exactly a line of the log, docs/formats.md, "Events") of every campaign in time order,
 * events of one instant in their campaign's order.
 * @param reader The reader.
 * @param campaign Only this campaign's events; NULL for every campaign's.
 * @param since Only the events at or after this instant, RFC 3339; NULL for all.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND` when the store has no campaign named `campaign`;
 * `OUTREACH_EINVAL` for a NULL argument or a `since` that is not RFC 3339; `OUTREACH_EUTF8`,
 * `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`; the store's code when it cannot be read (as for
 * `outreach_store_reader_status`).
 */
OUTREACH_API int outreach_store_reader_events(const outreach_store_reader *reader, const char *campaign,
                                              const char *since, char **out_json);

/**
 * @brief The store's suppression list, as `outreach_engine_suppressions` gives it.
 * @param reader The reader.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL`, `OUTREACH_ENOMEM`, `OUTREACH_EBUSY`; the store's code
 * when it cannot be read (as for `outreach_store_reader_status`).
 */
OUTREACH_API int outreach_store_reader_suppressions(const outreach_store_reader *reader, char **out_json);

/**
 * @brief Asks for a change of a store's campaigns — pause, resume or stop one, suppress,
 * unsuppress or forget addresses — as `outreach pause`, `suppress`, ... do, whether or not an
 * engine runs the store (docs/operations.md, "Requests").
 *
 * The request is written to the store either way and applied exactly once, in order with the
 * others. When no engine holds the store, this call applies it at once (it takes the store like
 * an engine for that moment). When one does (`outreach run`, an engine of this or another
 * process running with `outreach_engine_run`), that engine applies it within a second and this
 * call waits up to `wait_ms` for its answer.
 * @param store_path The store file.
 * @param request_json The request: `{"action": "pause"|"resume"|"stop", "campaign": NAME}`,
 * `{"action": "suppress", "addresses": [...], "reason": "manual"}` (`reason` optional),
 * `{"action": "unsuppress", "addresses": [...]}` or `{"action": "forget", "addresses": [ONE]}`.
 * @param wait_ms How long to wait for a running engine's answer, in milliseconds; 0: not at all.
 * @param out_json Receives `{"id": 7, "applied_here": true, "answer": {...}, "warnings": [...]}`;
 * `answer` is `{"applied": true, "message": "campaign "q4" paused", "sends_before": 0,
 * "changed": 0}` (with `"error": "not_found"` and `applied` false when the engine refused it,
 * such as a resume of a stopped campaign), or null while the request waits for the running
 * engine (not lost: it applies it when it comes to it). Free it with `outreach_string_free`.
 * @return `OUTREACH_OK` (also when the engine refused the request: see `answer`);
 * `OUTREACH_EVALUE` / `OUTREACH_EPARSE` for a request that breaks a rule (the message names the
 * JSON path); `OUTREACH_ENOTFOUND` when no engine runs the store and it has no such campaign (a
 * missing store file is made, as an engine makes it); the store's code when it cannot be opened
 * or written;
 * `OUTREACH_EINVAL`, `OUTREACH_EUTF8`, `OUTREACH_ENOMEM`. Thread-safe; it blocks while it waits.
 */
OUTREACH_API int outreach_store_request(const char *store_path, const char *request_json, uint32_t wait_ms,
                                        char **out_json);

/**
 * @brief Closes the file and frees the reader. No other thread may be using it.
 * @param reader The reader, or NULL (then nothing happens).
 */
OUTREACH_API void outreach_store_reader_free(outreach_store_reader *reader);

/* ---- one-click unsubscribe tokens ----------------------------------------------------- */

/**
 * @brief The token that `{{token}}` in a campaign's `unsubscribe.url` becomes for a lead: URL-safe
 * and opaque, the campaign and the lead sealed with AES-256-GCM under a key derived from the
 * campaign's secret (the value of the variable its `unsubscribe.secret_env` names), so that only
 * the secret's holder reads whom it names. The engine makes the same one for each message; this
 * is for hosts that make links themselves, and for tests.
 * @param out_token Receives the token; free it with `outreach_string_free`.
 * @param secret The secret (not empty).
 * @param campaign The campaign's name.
 * @param lead The lead's address (compared without regard to case: the token names it in lower
 * case).
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL` for a NULL argument, an empty secret or a campaign name
 * with a line break; `OUTREACH_EUTF8`, `OUTREACH_ENOMEM`. Thread-safe.
 */
OUTREACH_API int outreach_unsubscribe_token(char **out_token, const char *secret, const char *campaign,
                                            const char *lead);

/**
 * @brief Checks the token of a one-click unsubscribe link that the host's web server received
 * (`List-Unsubscribe-Post` or a click) and says whom it names: a sealed token, or one of the
 * signed format of version 0.1 (checked in constant time), which mail already sent carries. The host then applies the unsubscribe, for instance with
 * `outreach_engine_queue_inbound` and `{"at": NOW, "lead": LEAD, "campaign": CAMPAIGN, "type":
 * "unsubscribe"}`.
 * @param out_json Receives `{"campaign": "...", "lead": "..."}` (the lead's address in lower
 * case); free it with `outreach_string_free`.
 * @param secret The campaign's secret (not empty).
 * @param token The token, as taken from the URL: any NUL-terminated bytes (they need not be
 * UTF-8; a token that is not is refused like any forgery).
 * @return `OUTREACH_OK`; `OUTREACH_EVALUE` for a token that is not one signed with this secret
 * (malformed, altered, made with another secret): answer the request with an error and change
 * nothing; `OUTREACH_EINVAL` for a NULL argument or an empty secret; `OUTREACH_EUTF8` for a
 * secret that is not UTF-8; `OUTREACH_ENOMEM`. Thread-safe.
 */
OUTREACH_API int outreach_unsubscribe_verify(char **out_json, const char *secret, const char *token);

/* ---- SMTP without an engine ----------------------------------------------------------- */

/**
 * @brief An SMTP client for messages the host composes itself: it keeps connections to each
 * mailbox's server open and reuses them. Used by one thread at a time; a call made while another
 * thread is inside one of its functions, or from one of its callbacks, fails with
 * `OUTREACH_EBUSY` (except `outreach_smtp_connections_opened`).
 */
typedef struct outreach_smtp outreach_smtp;

/**
 * @brief Receives the outcome of a message given to `outreach_smtp_submit`.
 *
 * Called once per message, on the thread that called `outreach_smtp_flush` (or
 * `outreach_smtp_close` or `outreach_smtp_free`, which give the messages still queued a
 * temporary outcome), never from `outreach_smtp_submit` itself.
 * @param outcome_json The outcome as a JSON object, as `outreach_smtp_send` gives it; valid
 * only during the call.
 * @param user_data The `user_data` given with the message to `outreach_smtp_submit`.
 * @return 0. Any other value makes `outreach_smtp_flush` (or `outreach_smtp_close`) return
 * `OUTREACH_ECALLBACK` once every outcome has been given; the other messages' callbacks are
 * still called.
 */
typedef int (*outreach_smtp_done_fn)(const char *outcome_json, void *user_data);

/**
 * @brief Opens an SMTP client. No connection is made until a message is sent.
 *
 * The settings are a JSON object, every key optional:
 * `{"helo_name": "mail.acme.example", "connections_per_mailbox": 2, "pipelining": true,
 * "timeouts": {"connect": {"seconds": 30}, "tls": {"seconds": 30}, "command": {"minutes": 1},
 * "data": {"minutes": 10}, "idle": {"minutes": 1}, "retry_setup": {"seconds": 10}}}`:
 * - `helo_name`: the name sent with EHLO (a domain, or an address literal such as
 *   `"[192.0.2.1]"`); default: this machine's host name when it is fully qualified, else the
 *   connection's local address as a literal.
 * - `connections_per_mailbox`: most connections open at once to one mailbox's server, 1 to 100
 *   (default 2).
 * - `pipelining`: use PIPELINING when the server offers it (default true).
 * - `timeouts`: how long name resolution and the TCP connect (`connect`), the TLS handshake
 *   (`tls`), the greeting and each command's reply (`command`), writing a message and its final
 *   reply (`data`) may take, after how long an unused connection is closed (`idle`), and for how
 *   long a mailbox's messages fail at once after its session could not be set up
 *   (`retry_setup`). Each is
 *   a duration: an object with any of `milliseconds`, `seconds`, `minutes`, `hours`, `days`,
 *   added up, more than 0 and at most a day. The defaults are those shown above.
 *
 * Unknown keys are errors, named by their JSON path, like every other error found (all of them
 * are in `outreach_last_error_details`).
 * @param out Receives the client, or NULL on failure. Free it with `outreach_smtp_free`.
 * @param settings_json The settings, or NULL for the defaults.
 * @param callbacks The credentials and trace callbacks (copied), or NULL for none: then each
 * mailbox's password (or token) comes from the environment variable its `password_env` (or
 * `token_env`) names.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL` for a NULL `out` or an unknown callbacks version;
 * `OUTREACH_EUTF8`; `OUTREACH_EPARSE`, `OUTREACH_EVALUE`, `OUTREACH_EUNKNOWNKEY` or
 * `OUTREACH_ELIMIT` for bad settings. Thread-safe.
 */
OUTREACH_API int outreach_smtp_open(outreach_smtp **out, const char *settings_json,
                                    const outreach_smtp_callbacks *callbacks);

/**
 * @brief Sends one message through its mailbox's SMTP server and waits for the outcome.
 *
 * When the mailbox has `dkim` settings the message is signed first (the key file is read once
 * per client). A delivery problem is not an error of this function: it is the outcome, a JSON
 * object with every key present: `{"kind": "accepted"|"temporary"|"permanent", "code": 250,
 * "status": "2.0.0", "reason": "...", "queue_id": "...", "maybe_delivered": false}`. `kind`
 * means what `OUTREACH_SEND_ACCEPTED`, `_TEMPORARY` and `_PERMANENT` mean; `code` is the SMTP
 * reply code (0 when there was none, such as a network fault); `status`, `reason` and
 * `queue_id` are `""` when not known; `maybe_delivered` is true for a temporary outcome after
 * which the message may still have been delivered (the connection was lost after the whole
 * message was sent). `reason` never holds credentials.
 * @param smtp The client.
 * @param mailbox_json The sending mailbox, a mailbox object of a campaign's `mailboxes`
 * (docs/formats.md, "mailboxes"): `id`, `from`, `transport` (an `smtp://` or `smtps://` URL),
 * `security`, `username`, `auth`, `password_env`, `token_env`, `ca_file`, `dkim`. `daily_limit`
 * may be left out; the sending limits are not used here. Relative file names start at the
 * working directory.
 * @param envelope_from The `MAIL FROM` address, or `""` for the null reverse path.
 * @param envelope_to The `RCPT TO` address. Domains of both may be UTF-8; they are sent as IDNA
 * A-labels.
 * @param data The complete RFC 5322 message: CRLF line ends, no dot-stuffing, no NUL byte.
 * @param size The number of bytes in `data` (`data` may be NULL when it is 0).
 * @param requires_smtputf8 Non-zero when a header holds a non-ASCII address, so the server must
 * offer SMTPUTF8; it is also required when an envelope address has a non-ASCII local part.
 * @param out_outcome_json Receives the outcome; free it with `outreach_string_free`.
 * @return `OUTREACH_OK` when there is an outcome; `OUTREACH_EINVAL` for a NULL argument;
 * `OUTREACH_EUTF8`; `OUTREACH_EPARSE`, `OUTREACH_EVALUE`, `OUTREACH_EUNKNOWNKEY` for a mailbox
 * that is not a mailbox object or that this client cannot send from (not an SMTP transport, no
 * credentials), an envelope address that is not an address, data with a bare CR or LF or a NUL
 * byte, or a message the mailbox's DKIM key cannot sign (no `From` field, a malformed header);
 * `OUTREACH_ENOTFOUND` or `OUTREACH_EIO` for a `ca_file` or DKIM key file that cannot be read;
 * `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_smtp_send(outreach_smtp *smtp, const char *mailbox_json, const char *envelope_from,
                                    const char *envelope_to, const char *data, size_t size, int requires_smtputf8,
                                    char **out_outcome_json);

/**
 * @brief Queues a message; it is sent during `outreach_smtp_flush`, pipelined with the others
 * of its mailbox over up to `connections_per_mailbox` connections, and `done` then receives its
 * outcome. The message is checked (and signed) now, with the arguments and errors of
 * `outreach_smtp_send`, and copied.
 * @param smtp The client.
 * @param mailbox_json As for `outreach_smtp_send`.
 * @param envelope_from As for `outreach_smtp_send`.
 * @param envelope_to As for `outreach_smtp_send`.
 * @param data As for `outreach_smtp_send`.
 * @param size As for `outreach_smtp_send`.
 * @param requires_smtputf8 As for `outreach_smtp_send`.
 * @param done Receives the outcome (required).
 * @param user_data Passed to `done`.
 * @return As `outreach_smtp_send`. When it fails, the message is not queued and `done` is never
 * called for it.
 */
OUTREACH_API int outreach_smtp_submit(outreach_smtp *smtp, const char *mailbox_json, const char *envelope_from,
                                      const char *envelope_to, const char *data, size_t size, int requires_smtputf8,
                                      outreach_smtp_done_fn done, void *user_data);

/**
 * @brief Sends every queued message and returns when each one has its outcome and its `done`
 * callback has been called.
 * @param smtp The client.
 * @return `OUTREACH_OK`; `OUTREACH_ECALLBACK` when a `done` callback returned non-zero;
 * `OUTREACH_EINVAL`, `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_smtp_flush(outreach_smtp *smtp);

/**
 * @brief Says QUIT on every open connection (waiting at most the command timeout) and closes
 * them. Messages still queued get a temporary outcome through their `done` callback first. The
 * client stays usable: a later send opens new connections.
 * @param smtp The client.
 * @return As `outreach_smtp_flush`.
 */
OUTREACH_API int outreach_smtp_close(outreach_smtp *smtp);

/**
 * @brief How many connections the client has opened so far (sessions that got past the TCP
 * connect): connection reuse shows here. It may be called from the client's callbacks.
 * @param smtp The client.
 * @param out_count Receives the number.
 * @return `OUTREACH_OK`, `OUTREACH_EINVAL` or `OUTREACH_EBUSY`.
 */
OUTREACH_API int outreach_smtp_connections_opened(const outreach_smtp *smtp, size_t *out_count);

/**
 * @brief Closes the client as `outreach_smtp_close` does (the `done` callbacks of messages still
 * queued are called, their results ignored) and frees it. No other thread may be using it, and
 * it must not be called from one of its callbacks.
 * @param smtp The client, or NULL (then nothing happens).
 */
OUTREACH_API void outreach_smtp_free(outreach_smtp *smtp);

/* ---- reading a mailbox ------------------------------------------------------------------ */

/**
 * @brief A reader of one mailbox over IMAP, for hosts that read their mail their own way: what
 * is new in a folder after a place they keep, and one message at a time (docs/imap.md). It
 * connects at the first call and keeps the connection for the next ones; a call that fails
 * closes it, and the next one connects again. Read-only (EXAMINE, `BODY.PEEK[]`), TLS verified,
 * every step bounded. Used by one thread at a time.
 */
typedef struct outreach_imap outreach_imap;

/**
 * @brief Opens a reader. No connection is made until the first call.
 * @param out Receives the reader, or NULL on failure. Free it with `outreach_imap_free`.
 * @param mailbox_json The mailbox as a JSON object of the campaign format, with its `imap`
 * settings (docs/formats.md, "imap"); `daily_limit` may be left out.
 * @param callbacks The credentials and trace callbacks (copied), or NULL for none.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL` for a NULL `out` or `mailbox_json`, or an unknown
 * callbacks version; `OUTREACH_EUTF8`; `OUTREACH_EPARSE`, `OUTREACH_EVALUE`,
 * `OUTREACH_EUNKNOWNKEY` for a mailbox that is not valid (a mailbox without `imap` settings is
 * `OUTREACH_EVALUE`). Thread-safe.
 */
OUTREACH_API int outreach_imap_open(outreach_imap **out, const char *mailbox_json,
                                    const outreach_imap_callbacks *callbacks);

/**
 * @brief What is new in a folder: `{"uidvalidity": 7, "uid_next": 42, "messages": [{"uid": 40,
 * "size": 2817}, ...]}`, the messages with a UID above `after_uid` in UID order (`uid_next` is
 * null when the server does not say). Keep `uidvalidity` with the last UID taken: a
 * `uidvalidity` that is not the folder's (0 for a first reading) lists every message.
 * @param reader The reader.
 * @param folder The folder's name, UTF-8, such as `"INBOX"`.
 * @param uidvalidity The UIDVALIDITY `after_uid` belongs to, or 0.
 * @param after_uid The last UID taken.
 * @param out_json Receives the JSON text; free it with `outreach_string_free`.
 * @return `OUTREACH_OK`; `OUTREACH_EINVAL`, `OUTREACH_EUTF8`, `OUTREACH_EBUSY`;
 * `OUTREACH_EUNAVAILABLE` (the network, a timeout, the server's refusal of the folder),
 * `OUTREACH_EPERMFAIL` (a refused login, an untrusted certificate, STARTTLS missing or attacked),
 * `OUTREACH_EPARSE` or `OUTREACH_ELIMIT` (a server that does not speak IMAP, or too much), each
 * with `outreach_last_error` naming the server and the step.
 */
OUTREACH_API int outreach_imap_list_new(outreach_imap *reader, const char *folder, uint32_t uidvalidity,
                                        uint32_t after_uid, char **out_json);

/**
 * @brief One whole message, as received (RFC 5322 bytes, which may hold NULs or be any size up
 * to the limit of 48 MiB).
 * @param reader The reader.
 * @param folder The folder's name.
 * @param uid The message's UID (from `outreach_imap_list_new`).
 * @param out_message Receives the bytes (NUL-terminated as well); free them with
 * `outreach_string_free`.
 * @param out_length Receives the number of bytes.
 * @return `OUTREACH_OK`; `OUTREACH_ENOTFOUND` when the folder has no such message;
 * `OUTREACH_ELIMIT` when it is over the limit; otherwise as `outreach_imap_list_new`.
 */
OUTREACH_API int outreach_imap_fetch(outreach_imap *reader, const char *folder, uint32_t uid, char **out_message,
                                     size_t *out_length);

/**
 * @brief Logs out and frees the reader. No other thread may be using it.
 * @param reader The reader, or NULL (then nothing happens).
 */
OUTREACH_API void outreach_imap_free(outreach_imap *reader);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* OUTREACH_H */
