#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>
#include <map>
#include <string>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/transport.hpp"

using namespace outreach;

namespace {

Instant at(const char* text) { return *parse_instant(text); }

InboundEvent inbound(const char* when, std::string lead, InboundType type, bool hard = true, std::string campaign = "") {
  InboundEvent event;
  event.at = at(when);
  event.lead = std::move(lead);
  event.type = type;
  event.hard = hard;
  event.campaign = std::move(campaign);
  return event;
}

std::string leads_json(int count, const char* domain = "example.com") {
  std::string out = "[";
  for (int i = 0; i < count; ++i) {
    if (i) out += ",";
    out += R"({"email":"lead)" + std::to_string(i) + "@" + domain + R"(","first_name":"L)" + std::to_string(i) +
           R"(","company":"C)" + std::to_string(i) + "\"}";
  }
  return out + "]";
}

const char* const two_steps = R"({"steps":[
  {"variants":[{"subject":"Hi {{company}}","text":"Hello {{first_name}}"}]},
  {"delay":{"days":2},"variants":[{"text":"Again {{first_name}}"}]}]})";

// A campaign from parts of its JSON; every test states only what it is about.
CampaignDefinition campaign(const std::string& name, const std::string& leads, const std::string& extra = "",
                            const std::string& sequence = two_steps,
                            const std::string& schedule = R"({"timezone":"UTC","start":"2026-12-01"})",
                            const std::string& mailboxes =
                                R"([{"id":"m1","from":"M One <m1@acme.example>","daily_limit":1000}])") {
  const std::string json = R"({"name":")" + name + R"(","sequence":)" + sequence + R"(,"leads":)" + leads +
                           R"(,"schedule":)" + schedule + R"(,"mailboxes":)" + mailboxes + extra + "}";
  auto loaded = CampaignDefinition::from_json(json);
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().to_string()));
  return std::move(*loaded);
}

/// An engine on a manual clock, a memory store and a memory transport, run to the end.
struct Simulation {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine{store, transport, clock};

  explicit Simulation(MemoryTransport::Script script = {}) : transport(std::move(script)) {}

  void add(CampaignDefinition definition) {
    const std::string name = definition.name;
    REQUIRE(engine.add_campaign(std::move(definition)));
    REQUIRE(engine.start(name));
  }
  void run(std::optional<Instant> until = std::nullopt) { engine.simulate(clock, until); }

  std::vector<Event> of(EventType type, const std::string& lead = "") const {
    std::vector<Event> out;
    for (const Event& event : store.events()) {
      if (event.type == type && (lead.empty() || event.lead == lead)) out.push_back(event);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("every lead gets every step in order, the follow-up after its delay, then completes") {
  Simulation sim;
  sim.add(campaign("c", leads_json(3)));
  sim.run();
  const auto sent = sim.of(EventType::sent);
  REQUIRE(sent.size() == 6);
  for (int i = 0; i < 3; ++i) {
    const std::string lead = "lead" + std::to_string(i) + "@example.com";
    const auto mine = sim.of(EventType::sent, lead);
    REQUIRE(mine.size() == 2);
    CHECK(mine[0].step == 1);
    CHECK(mine[1].step == 2);
    CHECK(mine[1].at - mine[0].at >= std::chrono::days(2));
    CHECK(mine[1].in_reply_to == mine[0].message_id);
    CHECK(mine[1].subject == "Re: " + mine[0].subject);
    CHECK(mine[1].mailbox == mine[0].mailbox);
    CHECK(sim.of(EventType::completed, lead).size() == 1);
  }
  CHECK(sim.engine.summary().campaigns[0].status == "finished");
  CHECK(sim.engine.summary().campaigns[0].leads.at("completed") == 3);
}

TEST_CASE("nothing is sent outside the sending hours and days of the lead's zone") {
  Simulation sim;
  sim.add(campaign("c", R"([{"email":"a@x.example","company":"A","first_name":"A","timezone":"Asia/Tokyo"},
                           {"email":"b@x.example","company":"B","first_name":"B","timezone":"America/New_York"}])",
                   "", two_steps,
                   R"({"timezone":"Europe/London","lead_timezone":true,"days":["mon","tue","wed","thu","fri"],
                       "hours":["09:00-12:00"],"start":"2026-12-04"})"));
  sim.run();
  const auto sent = sim.of(EventType::sent);
  REQUIRE(sent.size() == 4);
  for (const Event& event : sent) {
    const auto zone = *TimeZone::locate(event.lead == "a@x.example" ? "Asia/Tokyo" : "America/New_York");
    const auto local = zone.to_local(event.at);
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const std::chrono::weekday weekday{day};
    const auto time = local - day;
    CHECK(weekday != std::chrono::Saturday);
    CHECK(weekday != std::chrono::Sunday);
    CHECK(time >= std::chrono::hours(9));
    CHECK(time < std::chrono::hours(12));
  }
}

TEST_CASE("a mailbox never exceeds its daily limit or warm-up ramp, and keeps its minimum interval") {
  Simulation sim;
  sim.add(campaign("c", leads_json(30), "", R"({"steps":[{"variants":[{"subject":"s","text":"t"}]}]})",
                   R"({"timezone":"UTC","start":"2026-12-01"})",
                   R"([{"id":"m1","from":"m1@acme.example","daily_limit":8,"ramp":{"start":2,"step":3},
                        "min_interval":{"minutes":10},"jitter":{"minutes":5}}])"));
  sim.run();
  std::map<std::chrono::sys_days, int> per_day;
  std::optional<Instant> previous;
  for (const Event& event : sim.of(EventType::sent)) {
    ++per_day[std::chrono::floor<std::chrono::days>(event.at)];
    if (previous) {
      CHECK(event.at - *previous >= std::chrono::minutes(10));
      if (std::chrono::floor<std::chrono::days>(event.at) == std::chrono::floor<std::chrono::days>(*previous)) {
        CHECK(event.at - *previous <= std::chrono::minutes(15));  // back-to-back: interval plus jitter at most
      }
    }
    previous = event.at;
  }
  std::vector<int> counts;
  for (const auto& [day, count] : per_day) counts.push_back(count);
  CHECK(counts == std::vector<int>{2, 5, 8, 8, 7});
}

TEST_CASE("no mailbox waits idle while another is busy, and follow-ups keep their mailbox") {
  Simulation sim;
  sim.add(campaign("c", leads_json(20), "", two_steps, R"({"timezone":"UTC","start":"2026-12-01"})",
                   R"([{"id":"m1","from":"m1@acme.example","daily_limit":100,"min_interval":{"minutes":30}},
                       {"id":"m2","from":"m2@acme.example","daily_limit":100,"min_interval":{"minutes":30}}])"));
  sim.run();
  std::map<std::string, std::string> first_mailbox;
  std::map<std::string, int> per_mailbox;
  for (const Event& event : sim.of(EventType::sent)) {
    if (event.step == 1) {
      first_mailbox[event.lead] = event.mailbox;
      ++per_mailbox[event.mailbox];
    } else {
      CHECK(event.mailbox == first_mailbox[event.lead]);
    }
  }
  CHECK(per_mailbox["m1"] == 10);
  CHECK(per_mailbox["m2"] == 10);
  const auto sent = sim.of(EventType::sent);
  CHECK(sent[0].at == sent[1].at);  // both mailboxes start at once
}

TEST_CASE("the campaign's caps hold per day in its zone") {
  Simulation sim;
  sim.add(campaign("c", leads_json(10), R"(,"limits":{"new_leads_per_day":3,"sends_per_day":4})"));
  sim.run();
  std::map<std::chrono::sys_days, int> sends, firsts;
  for (const Event& event : sim.of(EventType::sent)) {
    const auto day = std::chrono::floor<std::chrono::days>(event.at);
    ++sends[day];
    if (event.step == 1) ++firsts[day];
  }
  for (const auto& [day, count] : sends) CHECK(count <= 4);
  for (const auto& [day, count] : firsts) CHECK(count <= 3);
  CHECK(sim.of(EventType::completed).size() == 10);
}

TEST_CASE("a reply stops the lead's follow-ups, and a domain reply stops its colleagues") {
  Simulation sim;
  sim.add(campaign("c", R"([{"email":"a@corp.example","company":"A","first_name":"A"},
                           {"email":"b@corp.example","company":"B","first_name":"B"},
                           {"email":"c@gmail.com","company":"C","first_name":"C"},
                           {"email":"d@gmail.com","company":"D","first_name":"D"}])",
                   R"(,"stop_on":{"domain_reply":true})"));
  REQUIRE(sim.engine.apply(inbound("2026-12-01T12:00:00Z", "A@corp.example", InboundType::reply)));
  REQUIRE(sim.engine.apply(inbound("2026-12-01T12:00:00Z", "c@gmail.com", InboundType::reply)));
  sim.run();
  CHECK(sim.of(EventType::sent, "a@corp.example").size() == 1);
  CHECK(sim.of(EventType::replied, "a@corp.example").size() == 1);
  CHECK(sim.of(EventType::stopped, "a@corp.example").at(0).reason == "reply");
  CHECK(sim.of(EventType::stopped, "b@corp.example").at(0).reason == "domain_reply");
  CHECK(sim.of(EventType::sent, "b@corp.example").size() == 1);
  CHECK(sim.of(EventType::sent, "d@gmail.com").size() == 2);  // consumer domain: not stopped
  CHECK(sim.of(EventType::completed, "d@gmail.com").size() == 1);
}

TEST_CASE("an unsubscribed address gets nothing more from any campaign") {
  Simulation sim;
  sim.add(campaign("first", leads_json(2)));
  CampaignDefinition second = campaign("second", leads_json(2));
  second.schedule.start = at("2026-12-10T00:00:00Z");
  sim.add(std::move(second));
  REQUIRE(sim.engine.apply(inbound("2026-12-02T00:00:00Z", "lead0@example.com", InboundType::unsubscribe, true, "first")));
  sim.run();
  CHECK(sim.of(EventType::stopped, "lead0@example.com").at(0).reason == "unsubscribe");
  const auto skipped = sim.of(EventType::skipped, "lead0@example.com");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].campaign == "second");
  CHECK(skipped[0].reason == "suppressed");
  CHECK(sim.store.is_suppressed("LEAD0@example.com"));
}

TEST_CASE("an auto-reply pauses the lead until the return date when the campaign says so") {
  Simulation sim;
  sim.add(campaign("c", leads_json(1), R"(,"stop_on":{"auto_reply":"pause_until_return"})"));
  InboundEvent away = inbound("2026-12-01T06:00:00Z", "lead0@example.com", InboundType::auto_reply);
  away.return_date = std::chrono::year{2026} / 12 / 10;
  REQUIRE(sim.engine.apply(away));
  sim.run();
  CHECK(sim.of(EventType::paused).size() == 1);
  CHECK(sim.of(EventType::resumed).size() == 1);
  const auto sent = sim.of(EventType::sent);
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].at >= at("2026-12-10T00:00:00Z"));
  CHECK(sim.of(EventType::auto_replied).at(0).return_date == "2026-12-10");
}

TEST_CASE("soft bounces escalate to hard at the soft limit, and hard bounces pause the campaign at its rate") {
  Simulation sim;
  sim.add(campaign("c", leads_json(10), R"(,"bounces":{"soft_limit":2,"pause_rate":0.5,"pause_window":4})"));
  REQUIRE(sim.engine.apply(inbound("2026-12-01T01:00:00Z", "lead0@example.com", InboundType::bounce, false)));
  REQUIRE(sim.engine.apply(inbound("2026-12-01T02:00:00Z", "lead0@example.com", InboundType::bounce, false)));
  sim.run(at("2026-12-01T03:00:00Z"));
  const auto bounces = sim.of(EventType::bounced, "lead0@example.com");
  REQUIRE(bounces.size() == 2);
  CHECK(bounces[0].kind == "soft");
  CHECK(bounces[1].kind == "hard");
  CHECK(sim.of(EventType::stopped, "lead0@example.com").at(0).reason == "bounce");

  Simulation paused;
  paused.add(campaign("c", leads_json(10), R"(,"bounces":{"pause_rate":0.5,"pause_window":4})"));
  paused.run(at("2026-12-01T00:00:00Z"));
  REQUIRE(paused.of(EventType::sent).size() == 10);
  for (const char* lead : {"lead7@example.com", "lead8@example.com"}) {
    REQUIRE(paused.engine.apply(inbound("2026-12-01T05:00:00Z", lead, InboundType::bounce, true)));
  }
  paused.run();
  const auto pauses = paused.of(EventType::campaign_paused);
  REQUIRE(pauses.size() == 1);
  CHECK(pauses[0].reason == "bounce_rate");
  CHECK(paused.engine.summary().campaigns[0].status == "paused");
  CHECK(paused.of(EventType::sent).size() == 10);  // no follow-up went out after the pause
}

TEST_CASE("a lead missing a field is skipped with the reason, never sent a blank") {
  Simulation sim;
  sim.add(campaign("c", R"([{"email":"a@x.example","first_name":"A"},{"email":"b@x.example","first_name":"B","company":"Bee"}])"));
  sim.run();
  const auto skipped = sim.of(EventType::skipped, "a@x.example");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].reason == "missing_field:company");
  CHECK(sim.of(EventType::sent, "a@x.example").empty());
  CHECK(sim.of(EventType::completed, "b@x.example").size() == 1);
}

TEST_CASE("temporary failures are retried with backoff, and a non-existent address fails, bounces and is suppressed") {
  int attempts = 0;
  Simulation sim([&](const Mailbox&, const Message& message) {
    SendOutcome outcome;
    if (message.envelope_to.starts_with("lead0@") && attempts++ < 2) {
      outcome.kind = SendOutcome::Kind::temporary;
      outcome.code = 451;
      outcome.status = "4.3.0";
      outcome.reason = "try later";
    } else if (message.envelope_to.starts_with("lead1@")) {
      outcome.kind = SendOutcome::Kind::permanent;
      outcome.code = 550;
      outcome.status = "5.1.1";
      outcome.reason = "no such user";
    }
    return outcome;
  });
  sim.add(campaign("c", leads_json(2)));
  sim.run();
  const auto deferred = sim.of(EventType::deferred, "lead0@example.com");
  REQUIRE(deferred.size() == 2);
  CHECK(deferred[0].code == 451);
  CHECK(deferred[0].status == "4.3.0");
  REQUIRE(deferred[0].retry_at.has_value());
  CHECK(*deferred[1].retry_at - deferred[1].at > *deferred[0].retry_at - deferred[0].at);
  CHECK(sim.of(EventType::completed, "lead0@example.com").size() == 1);
  CHECK(sim.of(EventType::failed, "lead1@example.com").size() == 1);
  CHECK(sim.of(EventType::bounced, "lead1@example.com").at(0).kind == "hard");
  CHECK(sim.store.is_suppressed("lead1@example.com"));
}

TEST_CASE("leads not finished at the campaign's end are stopped with campaign_end") {
  Simulation sim;
  sim.add(campaign("c", leads_json(2), "", two_steps,
                   R"({"timezone":"UTC","start":"2026-12-01","end":"2026-12-01T12:00:00Z"})"));
  sim.run();
  for (const char* lead : {"lead0@example.com", "lead1@example.com"}) {
    REQUIRE(sim.of(EventType::stopped, lead).size() == 1);
    CHECK(sim.of(EventType::stopped, lead)[0].reason == "campaign_end");
    CHECK(sim.of(EventType::sent, lead).size() == 1);
  }
}

TEST_CASE("a paused campaign sends nothing until resumed") {
  Simulation sim;
  sim.add(campaign("c", leads_json(2)));
  sim.run(at("2026-12-01T00:00:00Z"));
  REQUIRE(sim.engine.pause("c"));
  sim.run(at("2026-12-20T00:00:00Z"));
  CHECK(sim.of(EventType::sent).size() == 2);
  REQUIRE(sim.engine.resume("c"));
  sim.run();
  CHECK(sim.of(EventType::sent).size() == 4);
  CHECK(sim.of(EventType::campaign_paused).at(0).reason == "request");
  CHECK(sim.of(EventType::campaign_resumed).size() == 1);
}

TEST_CASE("the same campaign and inbound events give the same event log") {
  const auto run_once = [] {
    Simulation sim;
    sim.add(campaign("c", leads_json(40), R"(,"seed":7)",
                     R"({"steps":[{"variants":[{"subject":"{A|B} {{company}}","text":"x"},{"subject":"C","text":"y","weight":3}]},
                                 {"delay":{"hours":5},"variants":[{"text":"z"}]}]})",
                     R"({"timezone":"Europe/Berlin","hours":["09:00-17:00"],"start":"2026-12-01"})",
                     R"([{"id":"m1","from":"m1@acme.example","daily_limit":15,"min_interval":{"minutes":3},"jitter":{"minutes":2}}])"));
    REQUIRE(sim.engine.apply(inbound("2026-12-02T10:00:00Z", "lead3@example.com", InboundType::reply)));
    sim.run();
    std::string log;
    for (const Event& event : sim.store.events()) log += to_json_line(event) + "\n";
    return log;
  };
  const std::string first = run_once();
  CHECK(first == run_once());
  CHECK(first.find("\"type\":\"completed\"") != std::string::npos);
}

TEST_CASE("an inbound event for an address that is not a lead changes nothing") {
  Simulation sim;
  sim.add(campaign("c", leads_json(1)));
  const auto applied = sim.engine.apply(inbound("2026-12-01T00:00:00Z", "stranger@example.com", InboundType::reply));
  REQUIRE_FALSE(applied);
  CHECK(applied.error().code() == Errc::not_found);
}

TEST_CASE("the engine runs on a host's io_context with the system clock") {
  MemoryStore store;
  MemoryTransport transport;
  SystemClock clock;
  Engine engine(store, transport, clock);
  REQUIRE(engine.add_campaign(campaign("live", leads_json(3), "",
                                       R"({"steps":[{"variants":[{"subject":"s","text":"t"}]},{"variants":[{"text":"u"}]}]})",
                                       R"({"timezone":"UTC","start":"2020-01-01"})")));
  REQUIRE(engine.start("live"));
  boost::asio::io_context io;
  bool done = false;
  engine.run_on(io, std::nullopt, [&] { done = true; });
  io.run_for(std::chrono::seconds(20));
  CHECK(done);
  CHECK(transport.sent().size() == 6);
  CHECK(engine.summary().campaigns[0].status == "finished");
}

TEST_CASE("a stop request ends a run on the system clock") {
  MemoryStore store;
  MemoryTransport transport;
  SystemClock clock;
  Engine engine(store, transport, clock);
  REQUIRE(engine.add_campaign(campaign("live", leads_json(3), "", two_steps, R"({"timezone":"UTC","start":"2020-01-01"})")));
  REQUIRE(engine.start("live"));
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    engine.request_stop();
  });
  engine.run();  // the follow-ups are two days away: only the stop ends this
  stopper.join();
  CHECK(transport.sent().size() == 3);
}

namespace {

// Writes a fresh Ed25519 private key as PEM to a temporary file.
std::filesystem::path ed25519_key_file() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  REQUIRE(key != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  const auto path = std::filesystem::temp_directory_path() / ("outreach-engine-dkim-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(path, std::ios::binary).write(data, size);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return path;
}

std::string mailbox_with_dkim(const std::filesystem::path& key) {
  return R"([{"id":"m1","from":"M One <m1@acme.example>","daily_limit":1000,
             "dkim":{"domain":"acme.example","selector":"s1","key_file":")" + key.string() + R"("}}])";
}

/// A transport that refuses every mailbox, as one that cannot serve a setting would.
class RefusingTransport final : public Transport {
 public:
  SendOutcome send(const Mailbox&, const Message&) override { return SendOutcome::accept(); }
  expected<void> check(const Mailbox& mailbox) const override {
    return fail(Errc::invalid_value, "mailbox \"" + mailbox.id + "\" cannot be served");
  }
};

}  // namespace

TEST_CASE("the engine signs each message with its mailbox's DKIM key, after the message is final") {
  const auto key = ed25519_key_file();
  Simulation sim;
  sim.add(campaign("c", leads_json(2), "", two_steps, R"({"timezone":"UTC","start":"2026-12-01"})",
                   mailbox_with_dkim(key)));
  sim.run();
  REQUIRE(sim.transport.sent().size() == 4);
  for (const auto& sent : sim.transport.sent()) {
    const std::string& data = sent.message.data;
    REQUIRE(data.starts_with("DKIM-Signature:"));
    std::string field = data.substr(0, data.find("\r\nDate:"));
    for (std::size_t fold; (fold = field.find("\r\n")) != std::string::npos;) field.erase(fold, 2);
    CHECK(field.find(" a=ed25519-sha256;") != std::string::npos);
    CHECK(field.find(" d=acme.example;") != std::string::npos);
    CHECK(field.find(" s=s1;") != std::string::npos);
    CHECK(data.find("\r\nMessage-ID: " + sent.message.message_id + "\r\n") != std::string::npos);
  }
  std::filesystem::remove(key);
}

TEST_CASE("a mailbox whose DKIM key cannot be read, or that the transport cannot serve, keeps the campaign out") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine{store, transport, clock};
  const auto added = engine.add_campaign(campaign("c", leads_json(1), "", two_steps,
                                                  R"({"timezone":"UTC","start":"2026-12-01"})",
                                                  mailbox_with_dkim("/nonexistent/key.pem")));
  REQUIRE_FALSE(added);
  CHECK(added.error().message().find("mailbox \"m1\"") != std::string::npos);
  CHECK(added.error().where().file == "/nonexistent/key.pem");
  CHECK(engine.summary().campaigns.empty());

  RefusingTransport refusing;
  Engine other{store, refusing, clock};
  const auto refused = other.add_campaign(campaign("c", leads_json(1)));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() == "campaign \"c\": mailbox \"m1\" cannot be served");
}

TEST_CASE("a send that may have been delivered is in doubt: at most once it is not sent again") {
  const auto lost_after_data = [](const Mailbox&, const Message& message) {
    if (message.data.find("Hello") == std::string::npos) return SendOutcome::accept();
    SendOutcome outcome;
    outcome.kind = SendOutcome::Kind::temporary;
    outcome.reason = "the server closed the connection during the end of the message";
    outcome.maybe_delivered = true;
    return outcome;
  };
  SUBCASE("at_most_once (the default): an in_doubt event, and the lead goes on") {
    Simulation sim(lost_after_data);
    sim.add(campaign("c", leads_json(2)));
    sim.run();
    const auto doubtful = sim.of(EventType::in_doubt);
    REQUIRE(doubtful.size() == 2);
    for (const Event& event : doubtful) {
      CHECK(event.step == 1);
      CHECK(event.mailbox == "m1");
      CHECK_FALSE(event.message_id.empty());
    }
    CHECK(sim.of(EventType::deferred).empty());
    CHECK(sim.of(EventType::sent).size() == 2);  // the second steps
    CHECK(sim.of(EventType::completed).size() == 2);
    CHECK(sim.engine.summary().campaigns[0].in_doubt == 2);
    CHECK(sim.store.open_intents().empty());  // the in_doubt events closed them
  }
  SUBCASE("at_least_once: tried again with the same Message-ID") {
    int calls = 0;
    std::vector<std::string> ids;
    Simulation sim([&](const Mailbox& mailbox, const Message& message) {
      ids.push_back(message.message_id);
      return ++calls == 1 ? lost_after_data(mailbox, message) : SendOutcome::accept();
    });
    sim.add(campaign("c", leads_json(1), R"(,"delivery":"at_least_once")"));
    sim.run();
    CHECK(sim.of(EventType::in_doubt).empty());
    REQUIRE(sim.of(EventType::deferred).size() == 1);
    REQUIRE(ids.size() == 3);
    CHECK(ids[0] == ids[1]);
    CHECK(sim.of(EventType::completed).size() == 1);
  }
}

TEST_CASE("a send whose outcome was never recorded is in doubt when its campaign resumes") {
  // The first engine records the intent and "dies" in the transport: the outcome never comes.
  MemoryStore store;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  const auto first_run = [&](const std::string& extra) {
    struct Crash {};
    MemoryTransport dying([](const Mailbox&, const Message&) -> SendOutcome { throw Crash{}; });
    Engine engine{store, dying, clock};
    REQUIRE(engine.add_campaign(campaign("c", leads_json(1), extra)));
    REQUIRE(engine.start("c"));
    CHECK_THROWS_AS(engine.simulate(clock), Crash);
    REQUIRE(store.open_intents().size() == 1);
  };
  SUBCASE("at most once: reported, not sent again, and the lead goes on") {
    first_run("");
    MemoryTransport transport;
    Engine engine{store, transport, clock};
    REQUIRE(engine.add_campaign(campaign("c", leads_json(1))));
    REQUIRE(engine.start("c"));
    engine.simulate(clock);
    CHECK(store.open_intents().empty());
    REQUIRE(transport.sent().size() == 1);  // only the second step
    CHECK(transport.sent()[0].message.data.find("Again") != std::string::npos);
    std::vector<std::string> types;
    for (const Event& event : store.events()) types.push_back(std::string(to_string(event.type)));
    CHECK(types == std::vector<std::string>{"in_doubt", "sent", "completed"});
    CHECK(engine.summary().campaigns[0].in_doubt == 1);
  }
  SUBCASE("at least once: sent again with the same Message-ID") {
    first_run(R"(,"delivery":"at_least_once")");
    const std::string intended = store.open_intents()[0].message_id;
    MemoryTransport transport;
    Engine engine{store, transport, clock};
    REQUIRE(engine.add_campaign(campaign("c", leads_json(1), R"(,"delivery":"at_least_once")")));
    REQUIRE(engine.start("c"));
    engine.simulate(clock);
    REQUIRE(transport.sent().size() == 2);
    CHECK(transport.sent()[0].message.message_id == intended);
    CHECK(store.open_intents().empty());
    CHECK(engine.summary().campaigns[0].leads.at("completed") == 1);
  }
}

TEST_CASE("a campaign resumes with the sequence it started with, and a changed one is refused") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  {
    Engine engine{store, transport, clock};
    REQUIRE(engine.add_campaign(campaign("c", leads_json(2))));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-02T00:00:00Z"));
  }
  Engine engine{store, transport, clock};
  const std::string changed = R"({"steps":[{"variants":[{"subject":"Other","text":"Other"}]}]})";
  REQUIRE(engine.add_campaign(campaign("c", leads_json(2), "", changed)));
  const auto started = engine.start("c");
  REQUIRE_FALSE(started);
  CHECK(started.error().message().find("was started with another sequence") != std::string::npos);
}

TEST_CASE("a lead whose last step went out before the engine stopped is completed when it resumes") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  {
    // The process dies between the last sends and the `completed` written after an instant's sends.
    struct Killed {};
    Engine engine{store, transport, clock};
    REQUIRE(engine.add_campaign(campaign("c", leads_json(2), "", R"({"steps":[
      {"variants":[{"subject":"Hi","text":"Hello"}]},{"variants":[{"text":"Again"}]}]})")));
    REQUIRE(engine.start("c"));
    int last_steps = 0;
    engine.on_event([&](const Event& event) {
      if (event.type == EventType::sent && event.step == 2 && ++last_steps == 2) throw Killed{};
    });
    CHECK_THROWS_AS(engine.simulate(clock), Killed);
  }
  REQUIRE(std::none_of(store.events().begin(), store.events().end(),
                       [](const Event& event) { return event.type == EventType::completed; }));
  Engine engine{store, transport, clock};
  REQUIRE(engine.add_campaign(campaign("c", leads_json(2), "", R"({"steps":[
    {"variants":[{"subject":"Hi","text":"Hello"}]},{"variants":[{"text":"Again"}]}]})")));
  REQUIRE(engine.start("c"));
  engine.simulate(clock);
  std::size_t completed = 0;
  for (const Event& event : store.events()) {
    CHECK(event.type != EventType::failed);
    if (event.type == EventType::completed) ++completed;
  }
  CHECK(completed == 2);
  CHECK(transport.sent().size() == 4);
  CHECK(engine.summary().campaigns[0].leads.at("completed") == 2);
}
