/* Tests of received mail through the C interface, in C, through outreach.h only: messages taken
   in by an engine (outreach_engine_ingest) — replies, bounces, messages taken in twice, bytes
   that are not mail — and the tokens of one-click unsubscribe links (outreach_unsubscribe_*).

   Run as `capi_inbound_tests CASE` (one ctest entry per case) or `capi_inbound_tests` for every
   case, in a folder where it may make temporary folders. */
#include <outreach.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- a campaign with sends to answer ------------------------------------------------------ */

/* The variable holding the campaign's unsubscribe secret during these tests. */
#define SECRET_VARIABLE "OUTREACH_CAPI_TEST_UNSUBSCRIBE_SECRET"
#define SECRET "correct horse battery staple"

/* Three leads, two steps two days apart from 2026-12-01, an unsubscribe link and address. */
static const char q1_campaign[] =
    "{\"name\": \"q1\", \"seed\": 1,"
    " \"sequence\": {\"steps\": ["
    "   {\"variants\": [{\"subject\": \"Hello {{first_name}}\","
    "                  \"text\": \"Hi {{first_name}}\\n{{unsubscribe_url}}\"}]},"
    "   {\"delay\": {\"days\": 2}, \"variants\": [{\"text\": \"Again, {{first_name}}\"}]}]},"
    " \"leads\": [{\"email\": \"Ann@alpha.example\", \"first_name\": \"Ann\"},"
    "            {\"email\": \"bob@beta.example\", \"first_name\": \"Bob\"},"
    "            {\"email\": \"cat@gamma.example\", \"first_name\": \"Cat\"}],"
    " \"schedule\": {\"timezone\": \"UTC\", \"start\": \"2026-12-01\"},"
    " \"mailboxes\": [{\"id\": \"m1\", \"from\": \"Sam <sam@acme.example>\", \"daily_limit\": 100}],"
    " \"stop_on\": {\"reply\": true},"
    " \"unsubscribe\": {\"url\": \"https://acme.example/u/{{token}}\", \"mailto\": \"unsubscribe@acme.example\","
    "                 \"secret_env\": \"" SECRET_VARIABLE "\"}}";

/* Every message the engine sent, one after the other. */
static int keep_message(const char *mailbox_id, const char *envelope_from, const char *envelope_to,
                        const char *message_id, const char *data, size_t size, int requires_smtputf8,
                        outreach_send_outcome *outcome, void *user_data) {
  (void)mailbox_id; (void)envelope_from; (void)envelope_to; (void)message_id; (void)requires_smtputf8;
  buffer_append(user_data, data, size);
  outcome->kind = OUTREACH_SEND_ACCEPTED;
  return 0;
}

/* An engine on the store file at `path` (NULL: in memory) whose transport keeps the messages in
   `messages` (NULL: a dry run). */
static outreach_engine *open_engine(const char *path, buffer *messages) {
  outreach_engine *engine = NULL;
  outreach_transport transport = {OUTREACH_TRANSPORT_VERSION, 1, keep_message, NULL};
  outreach_engine_options options;
  memset(&options, 0, sizeof options);
  options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  if (messages) {
    transport.user_data = messages;
    options.transport = OUTREACH_TRANSPORT_CUSTOM;
    options.custom_transport = &transport;
  }
  CHECK_OK(outreach_engine_open(&engine, path, &options));
  return engine;
}

/* Adds and starts q1 (its secret set), and simulates until `until` (NULL: to its end). */
static void simulate_q1(outreach_engine *engine, const char *until) {
  outreach_campaign *campaign = NULL;
  setenv(SECRET_VARIABLE, SECRET, 1);
  CHECK_OK(outreach_campaign_from_json(&campaign, q1_campaign, NULL));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "q1"));
  CHECK_OK(outreach_engine_simulate(engine, NULL, until));
  outreach_campaign_free(campaign);
}

/* The Message-ID (with its angle brackets) of the engine's send to `lead` at `step`; free it. */
static char *message_id_of(const outreach_engine *engine, const char *lead, int step) {
  size_t count = 0;
  size_t i;
  char *lead_member = format("\"lead\":\"%s\"", lead);
  char *step_member = format("\"step\":%d,", step);
  char *found = NULL;
  CHECK_OK(outreach_engine_event_count(engine, &count));
  for (i = 0; i < count && !found; ++i) {
    char *line = NULL;
    CHECK_OK(outreach_engine_event(engine, i, &line));
    if (contains(line, "\"type\":\"sent\"") && contains(line, lead_member) && contains(line, step_member)) {
      const char *start = strstr(line, "\"message_id\":\"");
      if (start) {
        start += strlen("\"message_id\":\"");
        found = format("%.*s", (int)(strchr(start, '"') - start), start);
      }
    }
    outreach_string_free(line);
  }
  if (!found) {
    fprintf(stderr, "no send to %s at step %d\n", lead, step);
    ++failures;
    found = format("<none>");
  }
  free(step_member);
  free(lead_member);
  return found;
}

static size_t event_count_of(const outreach_engine *engine) {
  size_t count = 0;
  CHECK_OK(outreach_engine_event_count(engine, &count));
  return count;
}

static char *summary_of(const outreach_engine *engine) {
  char *json = NULL;
  CHECK_OK(outreach_engine_summary(engine, &json));
  return json;
}

/* A lead's answer (free it). */
static char *reply_to(const char *from, const char *in_reply_to, const char *body, const char *message_id) {
  return format("From: %s\r\nTo: Sam <sam@acme.example>\r\nSubject: Re: Hello\r\n"
                "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMessage-ID: %s\r\nIn-Reply-To: %s\r\nReferences: %s\r\n"
                "\r\n%s\r\n",
                from, message_id, in_reply_to, in_reply_to, body);
}

/* A DSN (RFC 3464) from Postfix about a send, the original's headers enclosed (free it). */
static char *dsn_about(const char *recipient, const char *status, const char *original_id) {
  return format(
      "From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\r\n"
      "To: sam@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
      "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMessage-ID: <dsn1@mx.acme.example>\r\n"
      "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n\r\n"
      "--B1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
      "--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\n"
      "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: %s\r\n"
      "Diagnostic-Code: smtp; 550 %s mailbox unavailable\r\n\r\n"
      "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Sam <sam@acme.example>\r\nTo: %s\r\n"
      "Subject: Hello\r\nMessage-ID: %s\r\n\r\n--B1--\r\n",
      recipient, status, status, recipient, original_id);
}

/* Takes in `size` bytes and gives what the engine said (free it). */
static char *ingest(outreach_engine *engine, const char *raw, size_t size) {
  char *json = NULL;
  CHECK_OK(outreach_engine_ingest(engine, raw, size, &json));
  CHECK(json != NULL);
  return json;
}

/* ---- the cases ------------------------------------------------------------------------------ */

/* A reply naming a send in In-Reply-To is matched to its lead and step and stops the lead; the
   same message again is a duplicate that changes nothing; the lead gets no second step. */
static void test_reply_stops_the_lead(void) {
  outreach_engine *engine = open_engine(NULL, NULL);
  char *sent;
  char *raw;
  char *json;
  char *summary;
  char *again;
  size_t events;
  size_t i;

  simulate_q1(engine, "2026-12-02T00:00:00Z");
  sent = message_id_of(engine, "Ann@alpha.example", 1);
  raw = reply_to("Ann <ann@alpha.example>", sent, "Sounds good, call me on Friday.", "<r1@alpha.example>");
  events = event_count_of(engine);
  json = ingest(engine, raw, strlen(raw));
  CHECK_CONTAINS(json, "\"class\":\"reply\"");
  CHECK_CONTAINS(json, "\"campaign\":\"q1\"");
  CHECK_CONTAINS(json, "\"lead\":\"Ann@alpha.example\"");
  CHECK_CONTAINS(json, "\"step\":1");
  CHECK_CONTAINS(json, "\"matched_by\":\"in_reply_to\"");
  CHECK_CONTAINS(json, "\"duplicate\":false");
  CHECK_CONTAINS(json, "\"from\":\"ann@alpha.example\"");
  CHECK(event_count_of(engine) > events);
  summary = summary_of(engine);
  CHECK_CONTAINS(summary, "\"replied\":1");
  outreach_string_free(json);

  /* Again: a duplicate; no event, the same summary. */
  events = event_count_of(engine);
  json = ingest(engine, raw, strlen(raw));
  CHECK_CONTAINS(json, "\"duplicate\":true");
  CHECK_CONTAINS(json, "\"lead\":\"Ann@alpha.example\"");
  CHECK(event_count_of(engine) == events);
  again = summary_of(engine);
  CHECK(summary && again && strcmp(summary, again) == 0);
  outreach_string_free(again);
  outreach_string_free(json);

  /* To the end: Ann got no second step, the others did. */
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
  for (i = 0; i < event_count_of(engine); ++i) {
    char *line = NULL;
    CHECK_OK(outreach_engine_event(engine, i, &line));
    if (contains(line, "\"lead\":\"Ann@alpha.example\"")) CHECK(!contains(line, "\"step\":2,"));
    if (contains(line, "\"type\":\"stopped\"")) {
      CHECK_CONTAINS(line, "\"lead\":\"Ann@alpha.example\"");
      CHECK_CONTAINS(line, "\"reason\":\"reply\"");
    }
    outreach_string_free(line);
  }
  outreach_string_free(summary);
  summary = summary_of(engine);
  CHECK_CONTAINS(summary, "\"completed\":2");
  outreach_string_free(summary);

  free(raw);
  free(sent);
  outreach_engine_free(engine);
}

/* A DSN about a send is a hard bounce for its lead, who is suppressed. */
static void test_dsn_is_a_hard_bounce(void) {
  outreach_engine *engine = open_engine(NULL, NULL);
  char *sent;
  char *raw;
  char *json;
  char *summary;
  char *list = NULL;

  simulate_q1(engine, "2026-12-02T00:00:00Z");
  sent = message_id_of(engine, "bob@beta.example", 1);
  raw = dsn_about("bob@beta.example", "5.1.1", sent);
  json = ingest(engine, raw, strlen(raw));
  CHECK_CONTAINS(json, "\"class\":\"bounce\"");
  CHECK_CONTAINS(json, "\"kind\":\"hard\"");
  CHECK_CONTAINS(json, "\"lead\":\"bob@beta.example\"");
  CHECK_CONTAINS(json, "\"step\":1");
  CHECK_CONTAINS(json, "\"status\":\"5.1.1\"");
  CHECK_CONTAINS(json, "\"duplicate\":false");
  summary = summary_of(engine);
  CHECK_CONTAINS(summary, "\"bounced\":1");
  CHECK_OK(outreach_engine_suppressions(engine, &list));
  CHECK_CONTAINS(list, "{\"address\":\"bob@beta.example\",\"reason\":\"hard_bounce\"}");
  outreach_string_free(list);
  outreach_string_free(summary);
  outreach_string_free(json);
  free(raw);
  free(sent);
  outreach_engine_free(engine);
}

/* Bytes that are not mail, NUL bytes included, are `unknown` and change nothing; a reply with a
   NUL byte in its text is still a reply. */
static void test_not_mail_is_unknown(void) {
  static const char garbage[] = "\x00\x01\x02garbage\x00\xff\xfe\r\n\r\n\x00\x00 more \x7f";
  outreach_engine *engine = open_engine(NULL, NULL);
  char *summary;
  char *after;
  char *json;
  char *sent;
  char *raw;
  size_t events;
  size_t size;

  simulate_q1(engine, "2026-12-02T00:00:00Z");
  events = event_count_of(engine);
  summary = summary_of(engine);
  json = ingest(engine, garbage, sizeof garbage - 1);
  CHECK_CONTAINS(json, "\"class\":\"unknown\"");
  CHECK_CONTAINS(json, "\"campaign\":null");
  CHECK_CONTAINS(json, "\"lead\":null");
  CHECK_CONTAINS(json, "\"step\":null");
  CHECK_CONTAINS(json, "\"matched_by\":\"none\"");
  outreach_string_free(json);
  json = ingest(engine, NULL, 0);
  CHECK_CONTAINS(json, "\"class\":\"unknown\"");
  outreach_string_free(json);
  json = ingest(engine, "", 0);
  CHECK_CONTAINS(json, "\"class\":\"unknown\"");
  outreach_string_free(json);
  CHECK(event_count_of(engine) == events);
  after = summary_of(engine);
  CHECK(summary && after && strcmp(summary, after) == 0);
  outreach_string_free(after);
  outreach_string_free(summary);

  /* A NUL in the text: the bytes after it count too (the length says where the message ends). */
  sent = message_id_of(engine, "cat@gamma.example", 1);
  raw = reply_to("Cat <cat@gamma.example>", sent, "Yes please.\x01NUL>\x01<NUL", "<r2@gamma.example>");
  size = strlen(raw);
  {
    char *nul = strchr(raw, '\x01');
    while (nul) {
      *nul = '\0';
      nul = strchr(nul + 1, '\x01');
    }
  }
  json = ingest(engine, raw, size);
  CHECK_CONTAINS(json, "\"class\":\"reply\"");
  CHECK_CONTAINS(json, "\"lead\":\"cat@gamma.example\"");
  outreach_string_free(json);

  CHECK_FAILS(outreach_engine_ingest(engine, NULL, 4, &json), OUTREACH_EINVAL, "raw");
  CHECK(json == NULL);
  free(raw);
  free(sent);
  outreach_engine_free(engine);
}

/* With a store file, a message taken in is known to the next engine on the file, and a reader
   sees what it did while the engine holds the store. */
static void test_ingest_into_a_store(void) {
  char *folder = make_temp_dir("inbound");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path, NULL);
  outreach_store_reader *reader = NULL;
  outreach_campaign *campaign = NULL;
  char *sent;
  char *raw;
  char *json;
  char *events = NULL;

  simulate_q1(engine, "2026-12-02T00:00:00Z");
  sent = message_id_of(engine, "Ann@alpha.example", 1);
  raw = reply_to("Ann <ann@alpha.example>", sent, "Interested!", "<r3@alpha.example>");
  json = ingest(engine, raw, strlen(raw));
  CHECK_CONTAINS(json, "\"matched_by\":\"in_reply_to\"");
  CHECK_CONTAINS(json, "\"duplicate\":false");
  outreach_string_free(json);

  CHECK_OK(outreach_store_reader_open(&reader, path));
  CHECK_OK(outreach_store_reader_events(reader, "q1", NULL, &events));
  CHECK_CONTAINS(events, "\"type\":\"replied\"");
  outreach_string_free(events);
  outreach_store_reader_free(reader);
  outreach_engine_free(engine);

  /* The next engine on the file: the campaign goes on, and the message is known. */
  engine = open_engine(path, NULL);
  CHECK_OK(outreach_campaign_from_json(&campaign, q1_campaign, NULL));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "q1"));
  CHECK_OK(outreach_engine_simulate(engine, NULL, "2026-12-02T00:00:00Z"));
  json = ingest(engine, raw, strlen(raw));
  CHECK_CONTAINS(json, "\"duplicate\":true");
  CHECK_CONTAINS(json, "\"lead\":\"Ann@alpha.example\"");
  outreach_string_free(json);
  CHECK(event_count_of(engine) == 0);

  outreach_campaign_free(campaign);
  outreach_engine_free(engine);
  free(raw);
  free(sent);
  remove_tree(folder);
  free(path);
  free(folder);
}

/* An engine without a clock takes the system clock for a message (it arrives now): it cannot
   simulate afterwards. */
static void test_ingest_takes_the_system_clock(void) {
  outreach_engine *engine = open_engine(NULL, NULL);
  char *json;
  json = ingest(engine, "Subject: hello\r\n\r\nnothing\r\n", strlen("Subject: hello\r\n\r\nnothing\r\n"));
  CHECK_CONTAINS(json, "\"class\":\"unknown\"");
  outreach_string_free(json);
  CHECK_FAILS(outreach_engine_simulate(engine, NULL, NULL), OUTREACH_EINVAL, "system clock");
  outreach_engine_free(engine);
}

static void test_ingest_arguments(void) {
  outreach_engine *engine = open_engine(NULL, NULL);
  char *json = (char *)&json;
  CHECK_FAILS(outreach_engine_ingest(NULL, "x", 1, &json), OUTREACH_EINVAL, "engine");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_ingest(engine, "x", 1, NULL), OUTREACH_EINVAL, "out_json");
  outreach_engine_free(engine);
}

/* The engine's links carry the token outreach_unsubscribe_token makes; the host's handler
   verifies it, gets the campaign and lead back, and applies the unsubscribe. Anything else is
   refused with OUTREACH_EVALUE. */
static void test_unsubscribe_tokens(void) {
  buffer messages = {NULL, 0, 0};
  outreach_engine *engine = open_engine(NULL, &messages);
  char *token = NULL;
  char *json = NULL;
  char *link;
  char *tampered;
  char *line;
  char *list = NULL;

  simulate_q1(engine, "2026-12-02T00:00:00Z");
  CHECK_OK(outreach_unsubscribe_token(&token, SECRET, "q1", "ANN@alpha.example"));
  CHECK(token && strlen(token) > 40);
  CHECK(token && strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(token));
  link = format("<https://acme.example/u/%s>", token);
  CHECK_CONTAINS(messages.data, link);
  free(link);

  CHECK_OK(outreach_unsubscribe_verify(&json, SECRET, token));
  CHECK_JSON(json, "{\"campaign\":\"q1\",\"lead\":\"ann@alpha.example\"}");
  outreach_string_free(json);

  /* Applied by the host: the lead stops, and is suppressed. */
  line = format("{\"at\": \"2026-12-02T00:00:00Z\", \"lead\": \"ann@alpha.example\", \"campaign\": \"q1\", "
                "\"type\": \"unsubscribe\"}");
  CHECK_OK(outreach_engine_queue_inbound(engine, line));
  free(line);
  CHECK_OK(outreach_engine_simulate(engine, NULL, "2026-12-02T00:00:01Z"));
  CHECK_OK(outreach_engine_suppressions(engine, &list));
  CHECK_CONTAINS(list, "{\"address\":\"ann@alpha.example\",\"reason\":\"unsubscribe\"}");
  outreach_string_free(list);

  /* Forgeries: altered, another secret, not a token at all. */
  tampered = format("%s", token);
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  json = (char *)&json;
  CHECK_FAILS(outreach_unsubscribe_verify(&json, SECRET, tampered), OUTREACH_EVALUE, "token");
  CHECK(json == NULL);
  CHECK_STATUS(outreach_unsubscribe_verify(&json, "another secret", token), OUTREACH_EVALUE);
  CHECK_STATUS(outreach_unsubscribe_verify(&json, SECRET, ""), OUTREACH_EVALUE);
  CHECK_STATUS(outreach_unsubscribe_verify(&json, SECRET, "\xff\xfe.\x80"), OUTREACH_EVALUE);
  CHECK_STATUS(outreach_unsubscribe_verify(&json, SECRET, "no-dot-here"), OUTREACH_EVALUE);
  free(tampered);

  /* Arguments. */
  CHECK_FAILS(outreach_unsubscribe_verify(&json, "", token), OUTREACH_EINVAL, "secret");
  CHECK_FAILS(outreach_unsubscribe_verify(&json, NULL, token), OUTREACH_EINVAL, "secret");
  CHECK_FAILS(outreach_unsubscribe_verify(&json, SECRET, NULL), OUTREACH_EINVAL, "token");
  CHECK_FAILS(outreach_unsubscribe_verify(NULL, SECRET, token), OUTREACH_EINVAL, "out_json");
  json = (char *)&json;
  CHECK_FAILS(outreach_unsubscribe_token(&json, "", "q1", "a@b.example"), OUTREACH_EINVAL, "secret");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_unsubscribe_token(&json, SECRET, "q\n1", "a@b.example"), OUTREACH_EINVAL, "campaign");
  CHECK_FAILS(outreach_unsubscribe_token(&json, SECRET, NULL, "a@b.example"), OUTREACH_EINVAL, "campaign");
  CHECK_FAILS(outreach_unsubscribe_token(&json, SECRET, "q1", NULL), OUTREACH_EINVAL, "lead");
  CHECK_FAILS(outreach_unsubscribe_token(&json, "\xff", "q1", "a@b.example"), OUTREACH_EUTF8, "secret");
  CHECK_FAILS(outreach_unsubscribe_token(NULL, SECRET, "q1", "a@b.example"), OUTREACH_EINVAL, "out_token");

  outreach_string_free(token);
  buffer_free(&messages);
  outreach_engine_free(engine);
}

static const test_case cases[] = {
    {"reply_stops_the_lead", test_reply_stops_the_lead, NULL},
    {"dsn_is_a_hard_bounce", test_dsn_is_a_hard_bounce, NULL},
    {"not_mail_is_unknown", test_not_mail_is_unknown, NULL},
    {"ingest_into_a_store", test_ingest_into_a_store, NULL},
    {"ingest_takes_the_system_clock", test_ingest_takes_the_system_clock, NULL},
    {"ingest_arguments", test_ingest_arguments, NULL},
    {"unsubscribe_tokens", test_unsubscribe_tokens, NULL},
};

int main(int argc, char **argv) { return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv); }
