// An engine's mailboxes read over IMAP: one coroutine per mailbox that connects, reads each
// folder from where it stopped, waits for news (IDLE or polling), and reconnects after a failure.
#include "outreach/mail_reading.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "imap/client/imap_connection.hpp"
#include "imap/imap_command.hpp"
#include "net/tls.hpp"

namespace outreach {

namespace asio = boost::asio;
using asio::awaitable;
using detail::imap::Connection;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds first_backoff{2};
constexpr std::chrono::seconds last_backoff{5 * 60};
/// Messages fetched in one command, and the bytes they may add up to, so that a large folder is
/// taken in step by step with bounded memory.
constexpr std::size_t messages_per_batch = 100;
constexpr std::uint64_t bytes_per_batch = std::uint64_t{32} << 20;
/// Sends in doubt for longer are no longer looked for in the Sent folder: what settles them has
/// had a month to show.
constexpr std::chrono::hours look_for_doubts{30 * 24};

}  // namespace

struct MailReading::Shared {
  Engine& engine;
  Store& store;
  ImapOptions options;
  CheckListener on_check;
  std::vector<std::string> warnings;
  std::set<std::string, std::less<>> warned;

  void warn(std::string text) {
    if (warned.insert(text).second) warnings.push_back(std::move(text));
  }
};

class MailReading::Reader : public std::enable_shared_from_this<MailReading::Reader> {
 public:
  Reader(asio::io_context& io, std::shared_ptr<Shared> shared, Mailbox mailbox, detail::Endpoint endpoint,
         std::shared_ptr<asio::ssl::context> tls)
      : io_(io),
        shared_(std::move(shared)),
        mailbox_(std::move(mailbox)),
        endpoint_(std::move(endpoint)),
        tls_(std::move(tls)),
        timer_(io),
        random_(std::random_device{}()) {
    check_.mailbox = mailbox_.id;
    for (const MailboxCheck& kept : shared_->store.mailbox_checks()) {
      if (kept.mailbox == mailbox_.id) check_ = kept;
    }
  }

  void start() { asio::co_spawn(io_, [self = shared_from_this()] { return self->run(); }, asio::detached); }

  void stop() {
    stopping_ = true;
    timer_.cancel();
    if (connection_) connection_->wake();
  }

  void check_now() {
    timer_.cancel();
    if (connection_) connection_->wake();
  }

  [[nodiscard]] const MailboxCheck& check() const noexcept { return check_; }

 private:
  awaitable<void> run() {
    auto backoff = first_backoff;
    while (!stopping_) {
      connection_ = std::make_shared<Connection>(io_, mailbox_, endpoint_, tls_, shared_->options);
      read_through_ = false;
      auto session = co_await serve();
      if (session || stopping_) {
        co_await connection_->logout();
      } else {
        connection_->close();
      }
      connection_.reset();
      if (stopping_) break;
      if (!session) {
        if (shared_->engine.failure()) break;  // the store failed: the engine has stopped
        report_failure(session.error());
      }
      // A connection that got as far as a full reading starts the backoff again.
      if (read_through_) backoff = first_backoff;
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      timer_.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(backoff * jitter(random_)));
      (void)co_await timer_.async_wait(nothrow);
      backoff = std::min(backoff * 2, last_backoff);
    }
  }

  // One connection: open it, then read every folder and wait for news, until it fails or stops.
  awaitable<expected<void>> serve() {
    if (auto opened = co_await connection_->open(); !opened) co_return fail(opened.error());
    const ImapSettings& settings = *mailbox_.imap;
    sent_folder_.reset();
    next_look_in_sent_ = {};  // at once on each connection
    while (!stopping_) {
      for (const std::string& folder : settings.folders) {
        if (auto read = co_await read_folder(folder); !read) co_return fail(read.error());
        if (stopping_) co_return expected<void>{};
      }
      // After the folders: mail that came back from a lead (which shows a send went out) is
      // taken in before its send is judged absent. Then IDLE watches the last folder again.
      auto looked = co_await look_in_sent();
      if (!looked) co_return fail(looked.error());
      if (*looked) {
        if (auto state = co_await connection_->examine(settings.folders.back()); !state) co_return fail(state.error());
      }
      report_success();
      if (connection_->capabilities().idle) {
        // IDLE watches the folder examined last, for news within a second; every folder is
        // still looked at every poll interval, which also catches what IDLE does not report
        // (a folder deleted and made again, a server that misses an event).
        const auto limit = std::min<std::chrono::steady_clock::duration>(shared_->options.idle_renewal, settings.poll_interval);
        auto idled = co_await connection_->idle(limit);
        if (!idled) co_return fail(idled.error());
      } else {
        timer_.expires_after(settings.poll_interval);
        (void)co_await timer_.async_wait(nothrow);
        if (!stopping_) {
          if (auto alive = co_await connection_->noop(); !alive) co_return fail(alive.error());
        }
      }
    }
    co_return expected<void>{};
  }

  // Settles the mailbox's sends in doubt by looking for their Message-IDs in its Sent folder
  // (found by its special use, never by a name): on each connection, then at most once per poll
  // interval; sends in doubt for longer than `look_for_doubts` are no longer looked for. True
  // when it examined the Sent folder.
  awaitable<expected<bool>> look_in_sent() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_look_in_sent_) co_return false;
    next_look_in_sent_ = now + mailbox_.imap->poll_interval;
    std::vector<SendInDoubt> doubts = shared_->engine.sends_in_doubt(mailbox_.id);
    const Instant oldest = Reader::now() - look_for_doubts;
    std::erase_if(doubts, [&](const SendInDoubt& send) { return send.since < oldest; });
    if (doubts.empty()) co_return false;
    if (!sent_folder_) {
      auto found = co_await connection_->find_sent_folder();
      if (!found) co_return fail(found.error());
      if (!*found) {
        shared_->warn("mailbox \"" + mailbox_.id + "\" has no folder marked \\Sent: its sends in doubt stay in doubt");
        co_return false;
      }
      sent_folder_ = std::move(**found);
    }
    if (auto state = co_await connection_->examine(*sent_folder_); !state) co_return fail(state.error());
    for (const SendInDoubt& send : doubts) {
      if (stopping_) break;
      auto criterion = detail::imap::search_header("Message-ID", send.message_id);
      if (!criterion) continue;  // a Message-ID we wrote: cannot happen
      auto uids = co_await connection_->uid_search(*criterion);
      if (!uids) co_return fail(uids.error());
      if (auto settled = shared_->engine.settle(send, !uids->empty()); !settled) co_return fail(settled.error());
    }
    co_return true;
  }

  // Takes in every message of a folder past the recorded position, in UID order.
  awaitable<expected<void>> read_folder(const std::string& folder) {
    auto state = co_await connection_->examine(folder);
    if (!state) co_return fail(state.error());
    const auto kept = shared_->store.folder_position(mailbox_.id, folder);
    FolderPosition position{.mailbox = mailbox_.id, .folder = folder, .uidvalidity = state->uidvalidity, .last_uid = 0};
    expected<std::vector<std::uint32_t>> uids = std::vector<std::uint32_t>{};
    const bool by_date = !kept || kept->uidvalidity != state->uidvalidity;
    if (!by_date) {
      position.last_uid = kept->last_uid;
      uids = co_await connection_->uids_after(kept->last_uid, *state);
    } else {
      // Read for the first time, or the folder was re-created: the messages of the campaigns'
      // time; ingest leaves alone any it has taken in before.
      if (kept) {
        shared_->warn("mailbox \"" + mailbox_.id + "\": folder \"" + folder + "\" has a new UIDVALIDITY (" +
                      std::to_string(kept->uidvalidity) + " before, " + std::to_string(state->uidvalidity) +
                      " now); its recent messages are read again");
      }
      const std::chrono::year_month_day since(read_since());
      uids = co_await connection_->uid_search(detail::imap::since_criterion(
          static_cast<int>(since.year()), static_cast<unsigned>(since.month()), static_cast<unsigned>(since.day())));
    }
    if (!uids) co_return fail(uids.error());
    auto taken = co_await take_in(*uids, position);
    if (!taken) co_return fail(taken.error());
    // After a first reading by date, past every message there is now (older ones were left out
    // on purpose), so the next reading starts from here; unless a message searched for was not
    // there to fetch, which the next reading looks for again.
    if (by_date) {
      if (*taken && state->uid_next && *state->uid_next > 0 && *state->uid_next - 1 > position.last_uid) {
        position.last_uid = *state->uid_next - 1;
      }
      if (auto saved = shared_->engine.record_folder_position(position); !saved) co_return fail(saved.error());
    }
    co_return expected<void>{};
  }

  // Takes in the messages with these UIDs (ascending), moving `position` past each; true when
  // every one was there (none deleted meanwhile).
  awaitable<expected<bool>> take_in(const std::vector<std::uint32_t>& uids, FolderPosition& position) {
    if (uids.empty()) co_return true;
    auto sizes = co_await connection_->fetch_sizes(uids);
    if (!sizes) co_return fail(sizes.error());
    bool whole = sizes->size() == uids.size();
    const std::uint64_t largest = shared_->options.max_message_bytes;
    std::size_t next = 0;
    while (next < sizes->size() && !stopping_) {
      std::vector<std::uint32_t> batch;
      std::uint64_t bytes = 0;
      while (next < sizes->size() && batch.size() < messages_per_batch) {
        const detail::imap::MessageSize& message = (*sizes)[next];
        if (message.size > largest) {
          if (!batch.empty()) break;  // in UID order: the batch before it goes first
          shared_->warn("mailbox \"" + mailbox_.id + "\": message UID " + std::to_string(message.uid) + " of \"" +
                        position.folder + "\" is " + std::to_string(message.size) + " bytes, over the limit of " +
                        std::to_string(largest) + "; it was left unread");
          position.last_uid = message.uid;
          if (auto saved = shared_->engine.record_folder_position(position); !saved) co_return fail(saved.error());
          ++next;
          continue;
        }
        if (!batch.empty() && bytes + message.size > bytes_per_batch) break;
        batch.push_back(message.uid);
        bytes += message.size;
        ++next;
      }
      if (batch.empty()) continue;
      std::map<std::uint32_t, std::string> bodies;
      auto fetched = co_await connection_->fetch_bodies(
          batch, [&](std::uint32_t uid, std::string&& body) { bodies.insert_or_assign(uid, std::move(body)); });
      if (!fetched) co_return fail(fetched.error());
      for (const std::uint32_t uid : batch) {
        position.last_uid = uid;
        const auto body = bodies.find(uid);
        if (body == bodies.end()) {
          // Deleted since the sizes were read: nothing to take in.
          whole = false;
          if (auto saved = shared_->engine.record_folder_position(position); !saved) co_return fail(saved.error());
          continue;
        }
        auto result = shared_->engine.ingest(body->second, position, MimeLimits{.max_message_bytes = largest});
        if (!result) {
          if (shared_->engine.failure()) co_return fail(result.error());
          shared_->warn("mailbox \"" + mailbox_.id + "\": message UID " + std::to_string(uid) + " of \"" +
                        position.folder + "\" could not be read: " + result.error().message());
        }
      }
    }
    co_return whole && !stopping_;
  }

  // The first day whose mail can answer one of our sends: the day before the first campaign
  // started (a day's margin for the server's time zone).
  std::chrono::sys_days read_since() const {
    std::optional<Instant> first;
    for (const StoredCampaign& campaign : shared_->store.campaigns()) {
      if (!first || campaign.started < *first) first = campaign.started;
    }
    return std::chrono::floor<std::chrono::days>(first.value_or(now())) - std::chrono::days(1);
  }

  void report_success() {
    const bool was_failing = !check_.error.empty();
    const bool tell = !check_.checked || was_failing;
    check_.checked = now();
    check_.error.clear();
    check_.failed.reset();
    read_through_ = true;
    record(tell);
    if (was_failing) log_change("");
  }

  void report_failure(const Error& error) {
    // Told when reading starts failing, not at each retry; the time is that of the latest.
    const bool was_failing = !check_.error.empty();
    check_.failed = now();
    check_.error = error.message();
    record(true);
    if (!was_failing) log_change(check_.error);
  }

  // Into the log of the campaigns that use this mailbox; a store that cannot take it has stopped
  // the engine, which the next step of the reader sees.
  void log_change(std::string_view failure) { (void)shared_->engine.record_mail_reading(mailbox_.id, failure); }

  void record(bool tell) {
    if (auto kept = shared_->store.record_mailbox_check(check_); !kept) {
      shared_->warn("cannot record the check of mailbox \"" + mailbox_.id + "\": " + kept.error().message());
    }
    if (tell && shared_->on_check) shared_->on_check(check_);
  }

  static Instant now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

  asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
  Mailbox mailbox_;
  detail::Endpoint endpoint_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::steady_timer timer_;
  std::minstd_rand random_;
  std::shared_ptr<Connection> connection_;
  MailboxCheck check_;
  bool stopping_ = false;
  bool read_through_ = false;  // the current connection read every folder at least once
  std::optional<std::string> sent_folder_;  // found on the current connection
  std::chrono::steady_clock::time_point next_look_in_sent_{};
};

MailReading::MailReading(Engine& engine, Store& store, ImapOptions options)
    : shared_(std::make_shared<Shared>(Shared{.engine = engine, .store = store, .options = std::move(options),
                                              .on_check = {}, .warnings = {}, .warned = {}})) {}

MailReading::~MailReading() { stop(); }

expected<std::size_t> MailReading::start(asio::io_context& io, CheckListener on_check) {
  shared_->on_check = std::move(on_check);
  std::vector<std::shared_ptr<Reader>> readers;
  for (Mailbox& mailbox : shared_->engine.mailboxes()) {
    if (!mailbox.imap) continue;
    auto endpoint = detail::imap::imap_endpoint(mailbox);
    if (!endpoint) return fail(endpoint.error());
    const auto& ca_file = mailbox.imap->ca_file.empty() ? mailbox.ca_file : mailbox.imap->ca_file;
    auto tls = detail::make_client_tls_context(endpoint->security, ca_file, "mailbox \"" + mailbox.id + "\"'s imap");
    if (!tls) return fail(tls.error());
    readers.push_back(std::make_shared<Reader>(io, shared_, std::move(mailbox), std::move(*endpoint), std::move(*tls)));
  }
  if (readers.empty()) return std::size_t{0};
  readers_ = std::move(readers);
  shared_->engine.expect_mail(true);
  for (const auto& reader : readers_) reader->start();
  return readers_.size();
}

void MailReading::stop() {
  if (readers_.empty()) return;
  shared_->engine.expect_mail(false);
  for (const auto& reader : readers_) reader->stop();
}

void MailReading::check_now() {
  for (const auto& reader : readers_) reader->check_now();
}

std::vector<MailboxCheck> MailReading::checks() const {
  std::vector<MailboxCheck> all;
  for (const auto& reader : readers_) all.push_back(reader->check());
  return all;
}

const std::vector<std::string>& MailReading::warnings() const noexcept { return shared_->warnings; }

}  // namespace outreach
