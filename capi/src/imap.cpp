// outreach_imap_*: the blocking reader of one mailbox (ImapReader), with the mailbox given as
// the campaign format's mailbox object and listings handed back as JSON.
#include <boost/json.hpp>

#include <memory>
#include <thread>
#include <string>
#include <utility>

#include "abi.hpp"
#include "handle_use.hpp"
#include "mail_options.hpp"
#include "outreach/imap_reader.hpp"
#include "outreach/mailbox.hpp"

using namespace outreach::capi;

/// The reader handle.
struct outreach_imap {
  HandleLock lock;  // one thread at a time
#if OUTREACH_WITH_IMAP
  std::unique_ptr<outreach::ImapReader> reader;
#endif
};

namespace {

/// Holds the reader for one call; its callbacks run inside calls and may not call it.
class ImapUse : public HandleUse {
 public:
  explicit ImapUse(outreach_imap* imap)
      : HandleUse(imap->lock, Kind::change,
                  "the IMAP reader is running a call of this thread: its callbacks may not use it",
                  "the IMAP reader is in use by another thread (it is used by one thread at a time)") {}
};

#if OUTREACH_WITH_IMAP
std::string listing_json(const outreach::FolderListing& listing) {
  boost::json::object object;
  object["uidvalidity"] = listing.uidvalidity;
  if (listing.uid_next) {
    object["uid_next"] = *listing.uid_next;
  } else {
    object["uid_next"] = nullptr;
  }
  boost::json::array messages;
  messages.reserve(listing.messages.size());
  for (const outreach::ListedMessage& message : listing.messages) {
    messages.push_back(boost::json::object{{"uid", message.uid}, {"size", message.size}});
  }
  object["messages"] = std::move(messages);
  return boost::json::serialize(object);
}
#endif

/// Fails with OUTREACH_EUNSUPPORTED in a build without the IMAP reader.
[[maybe_unused]] int unsupported() {
  return fail_with(OUTREACH_EUNSUPPORTED, "this library was built without the IMAP reader (OUTREACH_WITH_IMAP=OFF)");
}

}  // namespace

extern "C" {

OUTREACH_API int outreach_imap_open(outreach_imap** out, const char* mailbox_json,
                                    const outreach_imap_callbacks* callbacks) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_text(mailbox_json, "mailbox_json")) return status;
  return guarded([&] {
    auto mailbox = outreach::parse_mailbox(mailbox_json);
    if (!mailbox) return fail_with(mailbox.error());
    if (!mailbox->imap) {
      return fail_with(OUTREACH_EVALUE, "mailbox \"" + mailbox->id + "\" has no imap settings to read it with");
    }
    outreach::ImapOptions options;
    if (const int status = install_imap_callbacks(callbacks, "callbacks", options)) return status;
#if OUTREACH_WITH_IMAP
    auto handle = std::make_unique<outreach_imap>();
    handle->reader = std::make_unique<outreach::ImapReader>(std::move(*mailbox), std::move(options));
    *out = handle.release();
    return OUTREACH_OK;
#else
    return unsupported();
#endif
  });
}

OUTREACH_API int outreach_imap_list_new(outreach_imap* reader, const char* folder, uint32_t uidvalidity,
                                        uint32_t after_uid, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(reader, "reader")) return status;
  if (const int status = check_text(folder, "folder")) return status;
  return guarded([&] {
    ImapUse use(reader);
    if (use.status()) return use.status();
#if OUTREACH_WITH_IMAP
    auto listing = reader->reader->list_new(folder, uidvalidity, after_uid);
    if (!listing) return fail_with(listing.error());
    return copy_out(listing_json(*listing), out_json);
#else
    (void)uidvalidity;
    (void)after_uid;
    return unsupported();
#endif
  });
}

OUTREACH_API int outreach_imap_fetch(outreach_imap* reader, const char* folder, uint32_t uid, char** out_message,
                                     size_t* out_length) {
  if (const int status = check_not_null(out_message, "out_message")) return status;
  *out_message = nullptr;
  if (const int status = check_not_null(out_length, "out_length")) return status;
  *out_length = 0;
  if (const int status = check_not_null(reader, "reader")) return status;
  if (const int status = check_text(folder, "folder")) return status;
  return guarded([&] {
    ImapUse use(reader);
    if (use.status()) return use.status();
#if OUTREACH_WITH_IMAP
    auto message = reader->reader->fetch(folder, uid);
    if (!message) return fail_with(message.error());
    if (const int status = copy_out(*message, out_message)) return status;
    *out_length = message->size();
    return OUTREACH_OK;
#else
    (void)uid;
    return unsupported();
#endif
  });
}

OUTREACH_API void outreach_imap_free(outreach_imap* reader) {
  if (!reader) return;
  // Freeing from one of the reader's own callbacks is forbidden; doing nothing beats a deadlock.
  if (reader->lock.owner.load() == std::this_thread::get_id()) return;
  try {
#if OUTREACH_WITH_IMAP
    reader->reader->close();
#endif
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing can be reported from a free
  }
  delete reader;
}

}  // extern "C"
