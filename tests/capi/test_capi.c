/* Tests of the C interface, in C, through outreach.h only.

   Run as `capi_tests CASE` (one ctest entry per case) or `capi_tests` for every case. The
   environment names the source tree (OUTREACH_SOURCE_DIR) and the folder holding what
   `outreach simulate` gave for the example campaign (OUTREACH_CAPI_REFERENCE); a case that needs
   a missing reference exits with 77 (skipped). */
#include <outreach.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* A file of the example campaign (free the result). */
static char *example_path(const char *name) {
  return format("%s/docs/examples/saas-founders/%s", source_dir(), name);
}

/* A file the command line wrote for the example campaign, or NULL when there is none. */
static char *reference_text(const char *name) {
  const char *dir = getenv("OUTREACH_CAPI_REFERENCE");
  char *path;
  char *text;
  if (!dir || !*dir) return NULL;
  path = format("%s/%s", dir, name);
  text = access(path, R_OK) == 0 ? read_text(path) : NULL;
  free(path);
  return text;
}

/* ---- campaigns written for the tests ---------------------------------------------------- */

/* Three leads, two steps three days apart, sending at any hour of any day in UTC from `start`. */
static char *small_campaign(const char *name, const char *start, const char *mailbox, int daily_limit) {
  return format(
      "{\"name\": \"%s\","
      " \"sequence\": {\"name\": \"two-step\", \"steps\": ["
      "   {\"variants\": [{\"subject\": \"Hello {{first_name}}\", \"text\": \"Hi {{first_name}},\\nshort note.\"}]},"
      "   {\"delay\": {\"days\": 3}, \"variants\": [{\"text\": \"Bumping this up.\"}]}]},"
      " \"leads\": [{\"email\": \"ann@one.example\", \"first_name\": \"Ann\"},"
      "            {\"email\": \"bo@two.example\", \"first_name\": \"Bo\"},"
      "            {\"email\": \"cy@three.example\", \"first_name\": \"Cy\"}],"
      " \"schedule\": {\"timezone\": \"UTC\", \"days\": [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"],"
      "              \"hours\": [\"00:00-24:00\"], \"start\": \"%s\"},"
      " \"mailboxes\": [{\"id\": \"%s\", \"from\": \"Sender <sender@acme.example>\", \"daily_limit\": %d}]}",
      name, start, mailbox, daily_limit);
}

static outreach_campaign *load_small_campaign(const char *name, const char *start, const char *mailbox,
                                              int daily_limit) {
  outreach_campaign *campaign = NULL;
  char *json = small_campaign(name, start, mailbox, daily_limit);
  CHECK_OK(outreach_campaign_from_json(&campaign, json, NULL));
  free(json);
  return campaign;
}

static outreach_campaign *load_example_campaign(void) {
  outreach_campaign *campaign = NULL;
  char *path = example_path("campaign.json");
  CHECK_OK(outreach_campaign_load(&campaign, path));
  free(path);
  return campaign;
}

/* ---- callbacks ---------------------------------------------------------------------------- */

/* Collects event lines, each followed by a line end: the text of an --events file. */
static int collect_event(const char *json_line, void *user_data) {
  buffer *events = user_data;
  buffer_add(events, json_line);
  buffer_add(events, "\n");
  return 0;
}

typedef struct {
  int errors;
  int warnings;
  buffer text;
} log_record;

static void record_log(int level, const char *message, void *user_data) {
  log_record *record = user_data;
  if (level == OUTREACH_LOG_ERROR) ++record->errors;
  if (level == OUTREACH_LOG_WARNING) ++record->warnings;
  buffer_add(&record->text, message);
  buffer_add(&record->text, "\n");
}

/* What a test transport does: count, check what it is given, and answer as scripted. */
typedef struct {
  size_t calls;
  size_t bytes;
  int expect_data;
  int fail_first;           /* return non-zero for this many calls */
  int bad_kind_at;          /* 1-based call that gets an unknown kind, or 0 */
  int bad_reason_at;        /* 1-based call that gets a reason that is not UTF-8, or 0 */
  int permanent_at;         /* 1-based call refused for good with 550 5.1.1, or 0 */
  int temporary_at;         /* 1-based call refused for now with 421 4.2.2, or 0 */
  int stop_at;              /* 1-based call that asks the engine to stop, or 0 */
  outreach_engine *engine;  /* for stop_at */
  int problems;
  char reason[64];          /* overwritten after each call: the library must have copied it */
} test_transport;

static int test_send(const char *mailbox_id, const char *envelope_from, const char *envelope_to,
                     const char *message_id, const char *data, size_t size, int requires_smtputf8,
                     outreach_send_outcome *outcome, void *user_data) {
  test_transport *t = user_data;
  const int call = (int)++t->calls;
  t->bytes += size;
  if (!mailbox_id || !*mailbox_id || !envelope_from || !strchr(envelope_from, '@') || !envelope_to ||
      !strchr(envelope_to, '@') || !message_id || message_id[0] != '<' || !data ||
      (requires_smtputf8 != 0 && requires_smtputf8 != 1) || outcome->kind != OUTREACH_SEND_ACCEPTED ||
      outcome->reason != NULL) {
    ++t->problems;
  }
  if (t->expect_data) {
    char *header = format("Message-ID: %s", message_id);
    if (size == 0 || strlen(data) != size || !strstr(data, header) || !strstr(data, "\r\n")) ++t->problems;
    free(header);
  } else if (size != 0 || strcmp(data, "") != 0) {
    ++t->problems;
  }
  if (t->stop_at == call) CHECK_OK(outreach_engine_request_stop(t->engine));
  if (call <= t->fail_first) return 1;
  if (t->bad_kind_at == call) {
    outcome->kind = 42;
    return 0;
  }
  if (t->bad_reason_at == call) {
    outcome->kind = OUTREACH_SEND_TEMPORARY;
    outcome->reason = "bad \xff byte";
    return 0;
  }
  if (t->permanent_at == call) {
    strcpy(t->reason, "no such user here");
    outcome->kind = OUTREACH_SEND_PERMANENT;
    outcome->code = 550;
    outcome->status = "5.1.1";
    outcome->reason = t->reason;
    return 0;
  }
  if (t->temporary_at == call) {
    strcpy(t->reason, "mailbox busy, try later");
    outcome->kind = OUTREACH_SEND_TEMPORARY;
    outcome->code = 421;
    outcome->status = "4.2.2";
    outcome->reason = t->reason;
    return 0;
  }
  outcome->queue_id = "Q1";
  return 0;
}

static outreach_engine *open_engine(int transport, const char *outbox_dir, const outreach_transport *custom,
                                    unsigned int flags, log_record *log) {
  outreach_engine *engine = NULL;
  outreach_engine_options options;
  memset(&options, 0, sizeof options);
  options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  options.transport = transport;
  options.outbox_dir = outbox_dir;
  options.custom_transport = custom;
  options.flags = flags;
  options.log = log ? record_log : NULL;
  options.log_user_data = log;
  CHECK_OK(outreach_engine_open(&engine, NULL, &options));
  return engine;
}

static outreach_transport make_transport(test_transport *t, int needs_message_data) {
  outreach_transport transport;
  transport.version = OUTREACH_TRANSPORT_VERSION;
  transport.needs_message_data = needs_message_data;
  transport.send = test_send;
  transport.user_data = t;
  t->expect_data = needs_message_data;
  return transport;
}

/* Runs a campaign to its end on a manual clock (adding, starting, simulating). */
static void simulate_campaign(outreach_engine *engine, outreach_campaign *campaign) {
  const char *name = NULL;
  CHECK_OK(outreach_campaign_name(campaign, &name));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, name));
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
}

static char *summary_of(const outreach_engine *engine) {
  char *json = NULL;
  CHECK_OK(outreach_engine_summary(engine, &json));
  return json;
}

/* The engine's events, pulled, as the text of an --events file. */
static char *pulled_events(const outreach_engine *engine) {
  size_t count = 0;
  size_t i;
  buffer text = {NULL, 0, 0};
  buffer_add(&text, "");
  CHECK_OK(outreach_engine_event_count(engine, &count));
  for (i = 0; i < count; ++i) {
    char *line = NULL;
    CHECK_OK(outreach_engine_event(engine, i, &line));
    if (line) buffer_add(&text, line);
    buffer_add(&text, "\n");
    outreach_string_free(line);
  }
  return text.data;
}

/* ---- the cases ---------------------------------------------------------------------------- */

static void test_version(void) {
  char expected[32];
  const int number = outreach_version_number();
  CHECK(number == OUTREACH_VERSION_NUMBER);
  snprintf(expected, sizeof expected, "%d.%d.%d", number / 10000, number / 100 % 100, number % 100);
  CHECK(outreach_version() != NULL);
  CHECK(strcmp(outreach_version(), expected) == 0);
}

static void test_status_codes(void) {
  static const struct {
    int code;
    int value;
    const char *name;
  } codes[] = {
      {OUTREACH_OK, 0, "ok"},
      {OUTREACH_EINVAL, -1, "invalid_argument"},
      {OUTREACH_EPARSE, -2, "parse_error"},
      {OUTREACH_EVALUE, -3, "invalid_value"},
      {OUTREACH_EUNKNOWNKEY, -4, "unknown_key"},
      {OUTREACH_EMISSINGFIELD, -5, "missing_field"},
      {OUTREACH_EUTF8, -6, "invalid_utf8"},
      {OUTREACH_ELIMIT, -7, "limit_exceeded"},
      {OUTREACH_EIO, -8, "io_error"},
      {OUTREACH_ENOTFOUND, -9, "not_found"},
      {OUTREACH_EUNAVAILABLE, -10, "unavailable"},
      {OUTREACH_ETEMPFAIL, -11, "temporary_failure"},
      {OUTREACH_EPERMFAIL, -12, "permanent_failure"},
      {OUTREACH_EINTERNAL, -13, "internal"},
      {OUTREACH_ENOMEM, -100, "out_of_memory"},
      {OUTREACH_ECALLBACK, -101, "callback_failed"},
      {OUTREACH_EUNSUPPORTED, -102, "unsupported"},
      {OUTREACH_EBUSY, -103, "busy"},
  };
  static const int unknown[] = {1, 42, -14, -99, -104, -1000, 2147483647, -2147483647 - 1};
  size_t i;
  for (i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
    CHECK(codes[i].code == codes[i].value); /* the values are the ABI: they never change */
    CHECK(outreach_strerror(codes[i].code) != NULL);
    if (strcmp(outreach_strerror(codes[i].code), codes[i].name) != 0) {
      fprintf(stderr, "outreach_strerror(%d) is \"%s\", expected \"%s\"\n", codes[i].code,
              outreach_strerror(codes[i].code), codes[i].name);
      ++failures;
    }
  }
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; ++i) CHECK(strcmp(outreach_strerror(unknown[i]), "unknown") == 0);
}

/* Two threads fail differently at the same time; each sees its own message. */
typedef struct {
  pthread_barrier_t *barrier;
  int which;
  int fresh_ok;
  int own_ok;
} error_thread;

static void *fail_in_thread(void *argument) {
  error_thread *t = argument;
  outreach_sequence *sequence = NULL;
  /* Nothing failed in this thread yet. */
  t->fresh_ok = strcmp(outreach_last_error(), "") == 0 && strcmp(outreach_last_error_details(), "[]") == 0;
  if (t->which == 0) {
    outreach_sequence_from_json(NULL, "{}");
  } else {
    outreach_sequence_from_json(&sequence, "{\"steps\": [");
  }
  pthread_barrier_wait(t->barrier); /* both have failed before either reads */
  if (t->which == 0) {
    t->own_ok = strcmp(outreach_last_error(), "out is NULL") == 0 && contains(outreach_last_error_details(), "\"invalid_argument\"");
  } else {
    t->own_ok = !contains(outreach_last_error(), "out is NULL") && contains(outreach_last_error_details(), "\"parse_error\"");
  }
  pthread_barrier_wait(t->barrier);
  return NULL;
}

static void test_last_error(void) {
  pthread_barrier_t barrier;
  pthread_t threads[2];
  error_thread states[2];
  int i;
  outreach_sequence *sequence = NULL;

  /* This thread's message stays what its own last failure said. */
  CHECK_FAILS(outreach_sequence_load(&sequence, "/nonexistent/sequence.json"), OUTREACH_ENOTFOUND,
              "/nonexistent/sequence.json");
  CHECK(pthread_barrier_init(&barrier, NULL, 2) == 0);
  for (i = 0; i < 2; ++i) {
    states[i].barrier = &barrier;
    states[i].which = i;
    states[i].fresh_ok = states[i].own_ok = 0;
    CHECK(pthread_create(&threads[i], NULL, fail_in_thread, &states[i]) == 0);
  }
  for (i = 0; i < 2; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(states[i].fresh_ok);
    CHECK(states[i].own_ok);
  }
  pthread_barrier_destroy(&barrier);
  CHECK(contains(outreach_last_error(), "/nonexistent/sequence.json"));

  /* Success leaves the message as it was. */
  CHECK(outreach_version_number() > 0);
  CHECK(contains(outreach_last_error(), "/nonexistent/sequence.json"));

  /* Every error of a document, in the message (a line each) and in the details. */
  CHECK(outreach_sequence_from_json(&sequence, "{\"steps\": [{\"variants\": [{\"text\": \"{{a\"}]}], \"nmae\": 1, \"x\": 2}") < 0);
  CHECK(sequence == NULL);
  CHECK(contains(outreach_last_error(), "\n"));
  CHECK(contains(outreach_last_error_details(), "\"json_path\""));
  CHECK(contains(outreach_last_error_details(), "\"unknown_key\""));
  CHECK(contains(outreach_last_error_details(), "\"text\""));
  CHECK(outreach_last_error_details()[0] == '[');
}

static void test_sequence(void) {
  char *path = example_path("sequence.json");
  char *text = read_text(path);
  outreach_sequence *loaded = NULL;
  outreach_sequence *parsed = NULL;
  outreach_sequence *again = NULL;
  const char *fingerprint = NULL;
  const char *other = NULL;
  char *json = NULL;
  size_t i;

  CHECK_OK(outreach_sequence_load(&loaded, path));
  CHECK_OK(outreach_sequence_fingerprint(loaded, &fingerprint));
  CHECK(fingerprint && strlen(fingerprint) == 64);
  for (i = 0; fingerprint && i < 64; ++i) CHECK(strchr("0123456789abcdef", fingerprint[i]) != NULL);

  /* The same content from text, and back through JSON: the same fingerprint. */
  CHECK_OK(outreach_sequence_from_json(&parsed, text));
  CHECK_OK(outreach_sequence_fingerprint(parsed, &other));
  CHECK(other && fingerprint && strcmp(other, fingerprint) == 0);
  CHECK_OK(outreach_sequence_to_json(loaded, &json));
  CHECK(contains(json, "\"steps\""));
  CHECK_OK(outreach_sequence_from_json(&again, json));
  CHECK_OK(outreach_sequence_fingerprint(again, &other));
  CHECK(other && fingerprint && strcmp(other, fingerprint) == 0);
  outreach_string_free(json);
  json = NULL;

  /* Bad input: each refused with its code, and the handle left NULL. */
  {
    outreach_sequence *bad = (outreach_sequence *)&bad; /* not NULL: the call must reset it */
    CHECK_FAILS(outreach_sequence_from_json(&bad, NULL), OUTREACH_EINVAL, "json");
    CHECK(bad == NULL);
    CHECK_FAILS(outreach_sequence_from_json(&bad, "{\"name\": \"caf\xc3\"}"), OUTREACH_EUTF8, "UTF-8");
    CHECK(bad == NULL);
    CHECK_STATUS(outreach_sequence_from_json(&bad, "{\"steps\": "), OUTREACH_EPARSE);
    CHECK_STATUS(outreach_sequence_from_json(&bad, "[1, 2]"), OUTREACH_EVALUE);
    CHECK_FAILS(outreach_sequence_from_json(&bad, "{\"steps\": [{\"variants\": [{\"subject\": \"Hi\", \"text\": \"Yo\"}]}], \"colour\": 1}"),
                OUTREACH_EUNKNOWNKEY, "colour");
    CHECK_FAILS(outreach_sequence_from_json(&bad, "{\"steps\": [{\"variants\": [{\"subject\": \"Hi {{\", \"text\": \"Yo\"}]}]}"),
                OUTREACH_EPARSE, "steps[0].variants[0].subject");
    CHECK_FAILS(outreach_sequence_from_json(&bad, "{\"steps\": []}"), OUTREACH_EVALUE, "steps");
    CHECK_FAILS(outreach_sequence_from_json(&bad, ""), OUTREACH_EPARSE, "");
    CHECK(bad == NULL);
    CHECK_FAILS(outreach_sequence_load(&bad, "/nonexistent/sequence.json"), OUTREACH_ENOTFOUND, "/nonexistent/sequence.json");
    CHECK_FAILS(outreach_sequence_load(&bad, "/nonexistent/\xff.json"), OUTREACH_EUTF8, "path");
    CHECK_FAILS(outreach_sequence_load(&bad, NULL), OUTREACH_EINVAL, "path");
    CHECK(bad == NULL);
  }
  CHECK_FAILS(outreach_sequence_from_json(NULL, text), OUTREACH_EINVAL, "out");
  CHECK_FAILS(outreach_sequence_load(NULL, path), OUTREACH_EINVAL, "out");
  CHECK_FAILS(outreach_sequence_fingerprint(NULL, &fingerprint), OUTREACH_EINVAL, "sequence");
  CHECK(fingerprint == NULL);
  CHECK_FAILS(outreach_sequence_fingerprint(loaded, NULL), OUTREACH_EINVAL, "out_fingerprint");
  json = (char *)&json;
  CHECK_FAILS(outreach_sequence_to_json(NULL, &json), OUTREACH_EINVAL, "sequence");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_sequence_to_json(loaded, NULL), OUTREACH_EINVAL, "out_json");

  outreach_sequence_free(again);
  outreach_sequence_free(parsed);
  outreach_sequence_free(loaded);
  outreach_sequence_free(NULL);
  free(text);
  free(path);
}

static void test_campaign(void) {
  char *path = example_path("campaign.json");
  char *dir = format("%s/docs/examples/saas-founders", source_dir());
  char *text = read_text(path);
  char *sequence_path = example_path("sequence.json");
  outreach_campaign *loaded = NULL;
  outreach_campaign *parsed = NULL;
  outreach_sequence *pinned = NULL;
  outreach_sequence *sequence = NULL;
  const char *name = NULL;
  const char *fingerprint = NULL;
  const char *pinned_fingerprint = NULL;
  char *problems = NULL;
  size_t count = 0;
  size_t parsed_count = 0;

  CHECK_OK(outreach_campaign_load(&loaded, path));
  CHECK_OK(outreach_campaign_name(loaded, &name));
  CHECK(name && strcmp(name, "q4-saas-founders") == 0);
  CHECK_OK(outreach_campaign_lead_count(loaded, &count));
  CHECK(count > 100);
  CHECK_OK(outreach_campaign_lead_problems(loaded, &problems));
  CHECK(problems && problems[0] == '[');
  outreach_string_free(problems);
  problems = NULL;

  /* Its sequence is the one in sequence.json, and outlives the campaign. */
  CHECK_OK(outreach_campaign_sequence(&pinned, loaded));
  CHECK_OK(outreach_sequence_load(&sequence, sequence_path));
  CHECK_OK(outreach_sequence_fingerprint(sequence, &fingerprint));
  outreach_campaign_free(loaded);
  loaded = NULL;
  CHECK_OK(outreach_sequence_fingerprint(pinned, &pinned_fingerprint));
  CHECK(fingerprint && pinned_fingerprint && strcmp(fingerprint, pinned_fingerprint) == 0);

  /* From text, with the folder its relative paths start from. */
  CHECK_OK(outreach_campaign_from_json(&parsed, text, dir));
  CHECK_OK(outreach_campaign_name(parsed, &name));
  CHECK(name && strcmp(name, "q4-saas-founders") == 0);
  CHECK_OK(outreach_campaign_lead_count(parsed, &parsed_count));
  CHECK(parsed_count == count);
  outreach_campaign_free(parsed);
  parsed = NULL;

  /* Leads that are not leads are left out and reported, as JSON. */
  {
    char *json = small_campaign("with-problems", "2026-12-01T00:00:00Z", "m", 10);
    char *with_bad_lead = NULL;
    const char *at = strstr(json, "{\"email\": \"bo@two.example\"");
    CHECK(at != NULL);
    if (at) {
      with_bad_lead = format("%.*s{\"email\": \"not an address\"}, %s", (int)(at - json), json, at);
      CHECK_OK(outreach_campaign_from_json(&parsed, with_bad_lead, NULL));
      CHECK_OK(outreach_campaign_lead_count(parsed, &parsed_count));
      CHECK(parsed_count == 3);
      CHECK_OK(outreach_campaign_lead_problems(parsed, &problems));
      CHECK(contains(problems, "\"code\":\"invalid_value\""));
      CHECK(contains(problems, "\"message\""));
      CHECK(contains(problems, "leads[1]"));
      outreach_string_free(problems);
      problems = NULL;
      outreach_campaign_free(parsed);
      parsed = NULL;
    }
    free(with_bad_lead);
    free(json);
  }

  /* Bad input. */
  {
    outreach_campaign *bad = (outreach_campaign *)&bad;
    CHECK_FAILS(outreach_campaign_from_json(&bad, NULL, dir), OUTREACH_EINVAL, "json");
    CHECK(bad == NULL);
    CHECK_FAILS(outreach_campaign_from_json(&bad, "{\"name\": \"\xe2\x82\"}", NULL), OUTREACH_EUTF8, "json");
    CHECK_FAILS(outreach_campaign_from_json(&bad, text, "/tmp/\xc0\xaf"), OUTREACH_EUTF8, "base_dir");
    CHECK_STATUS(outreach_campaign_from_json(&bad, "{\"name\": ", NULL), OUTREACH_EPARSE);
    CHECK(outreach_campaign_from_json(&bad, "[]", NULL) < 0);
    CHECK(outreach_campaign_from_json(&bad, "{\"name\": \"x\", \"colour\": 1}", NULL) < 0);
    CHECK(contains(outreach_last_error_details(), "\"unknown_key\""));
    CHECK(contains(outreach_last_error(), "colour"));
    /* Relative paths start from the working directory when no folder is given. */
    CHECK(outreach_campaign_from_json(&bad, text, NULL) < 0);
    CHECK(contains(outreach_last_error(), "sequence"));
    CHECK(bad == NULL);
    CHECK_FAILS(outreach_campaign_load(&bad, "/nonexistent/campaign.json"), OUTREACH_ENOTFOUND, "/nonexistent/campaign.json");
    CHECK_FAILS(outreach_campaign_load(&bad, NULL), OUTREACH_EINVAL, "path");
    CHECK_FAILS(outreach_campaign_load(&bad, "\xff"), OUTREACH_EUTF8, "path");
    CHECK(bad == NULL);
  }
  CHECK_FAILS(outreach_campaign_from_json(NULL, text, dir), OUTREACH_EINVAL, "out");
  CHECK_FAILS(outreach_campaign_load(NULL, path), OUTREACH_EINVAL, "out");
  CHECK_FAILS(outreach_campaign_name(NULL, &name), OUTREACH_EINVAL, "campaign");
  CHECK(name == NULL);
  CHECK_FAILS(outreach_campaign_lead_count(NULL, &count), OUTREACH_EINVAL, "campaign");
  CHECK(count == 0);
  CHECK_FAILS(outreach_campaign_lead_problems(NULL, &problems), OUTREACH_EINVAL, "campaign");
  CHECK(problems == NULL);
  outreach_sequence_free(sequence);
  sequence = (outreach_sequence *)&sequence;
  CHECK_FAILS(outreach_campaign_sequence(&sequence, NULL), OUTREACH_EINVAL, "campaign");
  CHECK(sequence == NULL);
  CHECK_OK(outreach_campaign_load(&loaded, path));
  CHECK_FAILS(outreach_campaign_name(loaded, NULL), OUTREACH_EINVAL, "out_name");
  CHECK_FAILS(outreach_campaign_lead_count(loaded, NULL), OUTREACH_EINVAL, "out_count");
  CHECK_FAILS(outreach_campaign_lead_problems(loaded, NULL), OUTREACH_EINVAL, "out_json");
  CHECK_FAILS(outreach_campaign_sequence(NULL, loaded), OUTREACH_EINVAL, "out");
  outreach_campaign_free(loaded);
  outreach_campaign_free(NULL);

  outreach_sequence_free(pinned);
  free(sequence_path);
  free(text);
  free(dir);
  free(path);
}

static void test_engine_open(void) {
  outreach_engine *engine = NULL;
  outreach_engine_options options;
  outreach_transport transport;
  test_transport t;

  memset(&t, 0, sizeof t);
  transport = make_transport(&t, 1);

  CHECK_OK(outreach_engine_open(&engine, NULL, NULL));
  CHECK(engine != NULL);
  outreach_engine_free(engine);
  outreach_engine_free(NULL);

  engine = (outreach_engine *)&engine;
  CHECK_FAILS(outreach_engine_open(NULL, NULL, NULL), OUTREACH_EINVAL, "out");
  CHECK_FAILS(outreach_engine_open(&engine, "no-such-folder/campaigns.db", NULL), OUTREACH_ENOTFOUND, "campaigns.db");
  CHECK(engine == NULL);
  CHECK_FAILS(outreach_engine_open(&engine, "\xff.db", NULL), OUTREACH_EUTF8, "store_path");

  memset(&options, 0, sizeof options);
  options.version = 99;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "version 99");
  options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  options.transport = 7;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "transport 7");
  options.transport = OUTREACH_TRANSPORT_DRY_RUN;
  options.flags = 0x10;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "flags");
  options.flags = 0;
  options.outbox_dir = "outbox";
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "outbox_dir");
  options.outbox_dir = NULL;
  options.transport = OUTREACH_TRANSPORT_OUTBOX;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "outbox_dir");
  options.outbox_dir = "out\xffox";
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EUTF8, "outbox_dir");
  options.outbox_dir = "/proc/outreach-cannot-be-here/outbox";
  CHECK(outreach_engine_open(&engine, NULL, &options) == OUTREACH_EIO);
  options.outbox_dir = "outbox";
  options.custom_transport = &transport;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "custom_transport");
  options.outbox_dir = NULL;
  options.custom_transport = NULL;
  options.transport = OUTREACH_TRANSPORT_CUSTOM;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "custom_transport");
  options.custom_transport = &transport;
  transport.version = 2;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "version 2");
  transport.version = OUTREACH_TRANSPORT_VERSION;
  transport.send = NULL;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "send");
  options.outbox_dir = "outbox";
  CHECK(engine == NULL);

  transport.send = test_send;
  options.outbox_dir = NULL;
  CHECK_OK(outreach_engine_open(&engine, NULL, &options));
  outreach_engine_free(engine);
}

/* Every function refuses NULL where it needs a value, names the argument, and changes nothing. */
static void test_null_arguments(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  char *json = (char *)&json;
  size_t count = 7;

  CHECK_FAILS(outreach_engine_set_event_callback(NULL, collect_event, NULL), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_add_campaign(NULL, NULL), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_add_campaign(engine, NULL), OUTREACH_EINVAL, "campaign");
  CHECK_FAILS(outreach_engine_start(NULL, "x"), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_start(engine, NULL), OUTREACH_EINVAL, "name");
  CHECK_FAILS(outreach_engine_pause(NULL, "x"), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_pause(engine, NULL), OUTREACH_EINVAL, "name");
  CHECK_FAILS(outreach_engine_resume(NULL, "x"), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_resume(engine, NULL), OUTREACH_EINVAL, "name");
  CHECK_FAILS(outreach_engine_queue_inbound(NULL, "{}"), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_queue_inbound(engine, NULL), OUTREACH_EINVAL, "json_line");
  CHECK_FAILS(outreach_engine_simulate(NULL, NULL, NULL), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_run(NULL, NULL), OUTREACH_EINVAL, "engine");
  CHECK_STATUS(outreach_engine_request_stop(NULL), OUTREACH_EINVAL);
  CHECK_FAILS(outreach_engine_event_count(NULL, &count), OUTREACH_EINVAL, "engine");
  CHECK(count == 0);
  CHECK_FAILS(outreach_engine_event_count(engine, NULL), OUTREACH_EINVAL, "out_count");
  CHECK_FAILS(outreach_engine_events(NULL, 0, &json), OUTREACH_EINVAL, "engine");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_events(engine, 0, NULL), OUTREACH_EINVAL, "out_json");
  json = (char *)&json;
  CHECK_FAILS(outreach_engine_event(NULL, 0, &json), OUTREACH_EINVAL, "engine");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_event(engine, 0, NULL), OUTREACH_EINVAL, "out_json_line");
  json = (char *)&json;
  CHECK_FAILS(outreach_engine_summary(NULL, &json), OUTREACH_EINVAL, "engine");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_summary(engine, NULL), OUTREACH_EINVAL, "out_json");
  json = (char *)&json;
  CHECK_FAILS(outreach_engine_warnings(NULL, &json), OUTREACH_EINVAL, "engine");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_warnings(engine, NULL), OUTREACH_EINVAL, "out_json");
  outreach_string_free(NULL);

  /* The engine is untouched by all of that. */
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count == 0);
  CHECK_OK(outreach_engine_summary(engine, &json));
  CHECK(json && strcmp(json, "{\"campaigns\":[]}") == 0);
  outreach_string_free(json);
  CHECK_OK(outreach_engine_warnings(engine, &json));
  CHECK(json && strcmp(json, "[]") == 0);
  outreach_string_free(json);
  CHECK_OK(outreach_engine_events(engine, 0, &json));
  CHECK(json && strcmp(json, "[]") == 0);
  outreach_string_free(json);
  outreach_engine_free(engine);
}

static void test_lifecycle(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_campaign *campaign = load_small_campaign("spring", "2026-12-01T00:00:00Z", "m", 10);
  buffer events = {NULL, 0, 0};
  char *summary = NULL;
  char *pulled = NULL;
  size_t count = 0;

  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));

  /* With no campaign, no start to simulate from. */
  CHECK_FAILS(outreach_engine_simulate(engine, NULL, NULL), OUTREACH_EINVAL, "from");

  CHECK_FAILS(outreach_engine_start(engine, "spring"), OUTREACH_ENOTFOUND, "spring");
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_FAILS(outreach_engine_add_campaign(engine, campaign), OUTREACH_EINVAL, "spring");
  CHECK_FAILS(outreach_engine_start(engine, "autumn"), OUTREACH_ENOTFOUND, "autumn");
  CHECK_FAILS(outreach_engine_pause(engine, "autumn"), OUTREACH_ENOTFOUND, "autumn");
  CHECK_FAILS(outreach_engine_resume(engine, "autumn"), OUTREACH_ENOTFOUND, "autumn");
  CHECK_FAILS(outreach_engine_start(engine, "spr\xffing"), OUTREACH_EUTF8, "name");

  summary = summary_of(engine);
  CHECK(contains(summary, "\"status\":\"draft\""));
  outreach_string_free(summary);

  /* Started and paused before the engine has a clock: both happen when simulate gives it one. */
  CHECK_OK(outreach_engine_start(engine, "spring"));
  CHECK_OK(outreach_engine_pause(engine, "spring"));
  CHECK_FAILS(outreach_engine_simulate(engine, "yesterday", NULL), OUTREACH_EINVAL, "RFC 3339");
  CHECK_FAILS(outreach_engine_simulate(engine, NULL, "2026-13-01T00:00:00Z"), OUTREACH_EINVAL, "until");
  CHECK_FAILS(outreach_engine_simulate(engine, NULL, "2026-12-01T00:00:00Z\xff"), OUTREACH_EUTF8, "until");
  CHECK_OK(outreach_engine_simulate(engine, "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z"));
  CHECK(contains(events.data, "{\"type\":\"campaign_paused\",\"at\":\"2026-12-02T00:00:00Z\",\"campaign\":\"spring\",\"reason\":\"request\"}"));
  CHECK(!contains(events.data, "\"sent\""));
  summary = summary_of(engine);
  CHECK(contains(summary, "\"status\":\"paused\""));
  outreach_string_free(summary);

  /* Resumed at the clock's time; simulated to the end. */
  CHECK_OK(outreach_engine_resume(engine, "spring"));
  CHECK(contains(events.data, "\"type\":\"campaign_resumed\""));
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
  CHECK(count_of(events.data, "{\"type\":\"sent\"") == 6);
  CHECK(count_of(events.data, "{\"type\":\"completed\"") == 3);
  CHECK(contains(events.data, "\"subject\":\"Re: Hello Ann\""));
  summary = summary_of(engine);
  CHECK(contains(summary, "\"status\":\"finished\""));
  CHECK(contains(summary, "\"completed\":3"));
  outreach_string_free(summary);

  /* Pulled events are the callback's. */
  pulled = pulled_events(engine);
  CHECK(pulled && events.data && strcmp(pulled, events.data) == 0);
  free(pulled);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count == count_of(events.data, "\n"));
  {
    char *all = NULL;
    char *none = NULL;
    char *last = NULL;
    char *line = (char *)&line;
    CHECK_OK(outreach_engine_events(engine, 0, &all));
    CHECK(all && all[0] == '[' && all[strlen(all) - 1] == ']');
    CHECK(count_of(all, "{\"type\":") == count);
    CHECK_OK(outreach_engine_events(engine, count, &none));
    CHECK(none && strcmp(none, "[]") == 0);
    outreach_string_free(none);
    CHECK_OK(outreach_engine_events(engine, count - 1, &last));
    CHECK(count_of(last, "{\"type\":") == 1 && contains(last, "\"completed\""));
    CHECK_FAILS(outreach_engine_events(engine, count + 1, &none), OUTREACH_EINVAL, "since");
    CHECK(none == NULL);
    CHECK_FAILS(outreach_engine_event(engine, count, &line), OUTREACH_ENOTFOUND, "index");
    CHECK(line == NULL);
    outreach_string_free(all);
    outreach_string_free(last);
  }

  /* The clock never goes back, and a simulated engine does not run in real time. */
  CHECK_FAILS(outreach_engine_simulate(engine, "2026-12-01T00:00:00Z", NULL), OUTREACH_EINVAL, "before");
  CHECK_FAILS(outreach_engine_run(engine, NULL), OUTREACH_EINVAL, "manual clock");
  CHECK_OK(outreach_engine_simulate(engine, "2030-01-01T00:00:00Z", NULL));
  CHECK_FAILS(outreach_engine_start(engine, "autumn"), OUTREACH_ENOTFOUND, "autumn");

  /* A campaign added to a second engine: the handle is only read. */
  {
    outreach_engine *other = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
    simulate_campaign(other, campaign);
    outreach_campaign_free(campaign);
    campaign = NULL;
    summary = summary_of(other);
    CHECK(contains(summary, "\"completed\":3"));
    outreach_string_free(summary);
    outreach_engine_free(other);
  }

  buffer_free(&events);
  outreach_engine_free(engine);
}

static void test_inbound_errors(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_campaign *campaign = load_small_campaign("inbound", "2026-12-01T00:00:00Z", "m", 10);
  buffer events = {NULL, 0, 0};
  char *summary;

  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
  CHECK_FAILS(outreach_engine_queue_inbound(engine, "{\"at\": \"2026-12-01T10:00:00Z\", \"lead\": \"ann@one.example\", \"type\": \"reply\"}"),
              OUTREACH_ENOTFOUND, "ann@one.example");
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_STATUS(outreach_engine_queue_inbound(engine, "{\"at\": "), OUTREACH_EPARSE);
  CHECK_STATUS(outreach_engine_queue_inbound(engine, "not json"), OUTREACH_EPARSE);
  CHECK_FAILS(outreach_engine_queue_inbound(engine, "{\"at\": \"2026-12-01T10:00:00Z\", \"lead\": \"ann@one.example\", \"type\": \"reply\", \"mood\": 1}"),
              OUTREACH_EUNKNOWNKEY, "mood");
  CHECK(outreach_engine_queue_inbound(engine, "{\"at\": \"2026-12-01T10:00:00Z\", \"lead\": \"ann@one.example\", \"type\": \"cheer\"}") < 0);
  CHECK(contains(outreach_last_error(), "type"));
  CHECK(outreach_engine_queue_inbound(engine, "[]") < 0);
  CHECK_FAILS(outreach_engine_queue_inbound(engine, "{\"at\": \"2026-12-01T10:00:00Z\", \"lead\": \"nobody@else.example\", \"type\": \"reply\"}"),
              OUTREACH_ENOTFOUND, "nobody@else.example");
  CHECK_FAILS(outreach_engine_queue_inbound(engine, "{\"at\": \"2026-12-01T10:00:00Z\", \"lead\": \"ann@one.example\", \"type\": \"reply\", \"campaign\": \"other\"}"),
              OUTREACH_ENOTFOUND, "other");
  CHECK_FAILS(outreach_engine_queue_inbound(engine, "{\"lead\": \"\xf0\x9f\"}"), OUTREACH_EUTF8, "json_line");

  /* A good line still works after the bad ones: Bo replies after step 1 and gets nothing more. */
  CHECK_OK(outreach_engine_queue_inbound(engine, "{\"at\": \"2026-12-01T10:00:00Z\", \"lead\": \"BO@two.example\", \"type\": \"reply\"}"));
  CHECK_OK(outreach_engine_start(engine, "inbound"));
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
  CHECK(contains(events.data, "{\"type\":\"replied\",\"at\":\"2026-12-01T10:00:00Z\",\"campaign\":\"inbound\",\"lead\":\"bo@two.example\",\"step\":1}"));
  CHECK(contains(events.data, "\"type\":\"stopped\",\"at\":\"2026-12-01T10:00:00Z\",\"campaign\":\"inbound\",\"lead\":\"bo@two.example\",\"reason\":\"reply\""));
  CHECK(count_of(events.data, "{\"type\":\"sent\"") == 5);
  summary = summary_of(engine);
  CHECK(contains(summary, "\"replied\":1"));
  outreach_string_free(summary);

  buffer_free(&events);
  outreach_campaign_free(campaign);
  outreach_engine_free(engine);
}

/* Simulating in two parts (until an instant, then on) decides what one simulation does. */
static void test_split_simulation(void) {
  outreach_campaign *campaign = load_example_campaign();
  outreach_engine *whole = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_engine *split = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  char *whole_events;
  char *split_events;
  char *summary;
  size_t partial = 0;
  size_t total = 0;

  simulate_campaign(whole, campaign);
  CHECK_OK(outreach_engine_add_campaign(split, campaign));
  CHECK_OK(outreach_engine_start(split, "q4-saas-founders"));
  CHECK_OK(outreach_engine_simulate(split, NULL, "2026-12-08T00:00:00Z"));
  CHECK_OK(outreach_engine_event_count(split, &partial));
  summary = summary_of(split);
  CHECK(contains(summary, "\"status\":\"running\""));
  outreach_string_free(summary);
  CHECK_OK(outreach_engine_simulate(split, NULL, NULL));
  CHECK_OK(outreach_engine_event_count(split, &total));
  CHECK(partial > 0 && partial < total);

  whole_events = pulled_events(whole);
  split_events = pulled_events(split);
  CHECK(whole_events && split_events && strcmp(whole_events, split_events) == 0);
  free(whole_events);
  free(split_events);
  outreach_engine_free(split);
  outreach_engine_free(whole);
  outreach_campaign_free(campaign);
}

/* The C engine gives what `outreach simulate --json --events` gives. */
static int compare_with_cli(const char *run, int transport_kind, int with_inbound, const char *from,
                            const char *until) {
  char *summary_name = format("%s-summary.json", run);
  char *events_name = format("%s-events.jsonl", run);
  char *reference_summary = reference_text(summary_name);
  char *reference_events = reference_text(events_name);
  outreach_campaign *campaign = NULL;
  outreach_engine *engine = NULL;
  outreach_transport transport;
  test_transport t;
  log_record log;
  buffer events = {NULL, 0, 0};
  char *summary = NULL;
  char *pulled = NULL;
  char *warnings = NULL;
  size_t count = 0;

  free(summary_name);
  free(events_name);
  if (!reference_summary || !reference_events) {
    free(reference_summary);
    free(reference_events);
    fprintf(stderr, "no reference from the command line (OUTREACH_CAPI_REFERENCE); skipped\n");
    return 77;
  }
  memset(&t, 0, sizeof t);
  memset(&log, 0, sizeof log);
  transport = make_transport(&t, 1);
  campaign = load_example_campaign();
  engine = open_engine(transport_kind, NULL, transport_kind == OUTREACH_TRANSPORT_CUSTOM ? &transport : NULL, 0, &log);
  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "q4-saas-founders"));
  if (with_inbound) {
    char *path = example_path("inbound.jsonl");
    char *script = read_text(path);
    char *line = script;
    size_t queued = 0;
    while (line && *line) {
      char *end = strchr(line, '\n');
      if (end) *end = '\0';
      if (*line) {
        const int status = outreach_engine_queue_inbound(engine, line);
        CHECK(status == OUTREACH_OK || status == OUTREACH_ENOTFOUND); /* the CLI leaves such lines out too */
        if (status == OUTREACH_OK) ++queued;
      }
      line = end ? end + 1 : line + strlen(line);
    }
    CHECK(queued > 0);
    free(script);
    free(path);
  }
  CHECK_OK(outreach_engine_simulate(engine, from, until));

  /* The summary: the CLI prints it with a line end. */
  summary = summary_of(engine);
  CHECK(summary != NULL);
  if (summary) {
    const size_t length = strlen(summary);
    if (!(strncmp(summary, reference_summary, length) == 0 && strcmp(reference_summary + length, "\n") == 0)) {
      fprintf(stderr, "summary differs from the CLI's:\n  C:   %s\n  CLI: %s", summary, reference_summary);
      ++failures;
    }
  }
  /* The events: through the callback and pulled, byte for byte. */
  if (!events.data || strcmp(events.data, reference_events) != 0) {
    fprintf(stderr, "the event callback's lines differ from the CLI's --events file\n");
    ++failures;
  }
  pulled = pulled_events(engine);
  CHECK(pulled && strcmp(pulled, reference_events) == 0);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count == count_of(reference_events, "\n"));
  CHECK(count > 100);

  /* The campaign's unsubscribe secret is not set: a warning, which also went to the log. */
  CHECK_OK(outreach_engine_warnings(engine, &warnings));
  CHECK(contains(warnings, "ACME_UNSUBSCRIBE_SECRET"));
  CHECK(log.warnings >= 1 && contains(log.text.data, "ACME_UNSUBSCRIBE_SECRET"));
  CHECK(log.errors == 0);

  if (transport_kind == OUTREACH_TRANSPORT_CUSTOM) {
    CHECK(t.calls == count_of(reference_events, "{\"type\":\"sent\""));
    CHECK(t.bytes > t.calls * 200);
    CHECK(t.problems == 0);
  }

  outreach_string_free(warnings);
  free(pulled);
  outreach_string_free(summary);
  buffer_free(&events);
  buffer_free(&log.text);
  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
  free(reference_summary);
  free(reference_events);
  return 0;
}

static int test_simulate_matches_cli(void) {
  return compare_with_cli("plain", OUTREACH_TRANSPORT_DRY_RUN, 0, NULL, NULL);
}
static int test_inbound_matches_cli(void) {
  return compare_with_cli("inbound", OUTREACH_TRANSPORT_DRY_RUN, 1, NULL, NULL);
}
static int test_custom_transport_matches_cli(void) {
  return compare_with_cli("plain", OUTREACH_TRANSPORT_CUSTOM, 0, NULL, NULL);
}
/* Matches `--from 2026-12-03T15:30:00Z --until 2026-12-18T12:00:00Z` of cli_reference.cmake. */
static int test_window_matches_cli(void) {
  return compare_with_cli("window", OUTREACH_TRANSPORT_DRY_RUN, 1, "2026-12-03T15:30:00Z", "2026-12-18T12:00:00Z");
}

static void test_custom_transport(void) {
  int needs;
  for (needs = 0; needs <= 1; ++needs) {
    test_transport t;
    outreach_transport transport;
    outreach_engine *engine;
    outreach_campaign *campaign = load_small_campaign("custom", "2026-12-01T00:00:00Z", "m", 10);
    buffer events = {NULL, 0, 0};
    memset(&t, 0, sizeof t);
    transport = make_transport(&t, needs);
    engine = open_engine(OUTREACH_TRANSPORT_CUSTOM, NULL, &transport, 0, NULL);
    transport.send = NULL; /* the engine copied the struct */
    CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
    simulate_campaign(engine, campaign);
    CHECK(t.calls == 6);
    CHECK(t.problems == 0);
    CHECK(needs ? t.bytes > 6 * 100 : t.bytes == 0);
    CHECK(count_of(events.data, "{\"type\":\"sent\"") == 6);
    buffer_free(&events);
    outreach_engine_free(engine);
    outreach_campaign_free(campaign);
  }
}

static void test_transport_failures(void) {
  test_transport t;
  outreach_transport transport;
  outreach_engine *engine;
  outreach_campaign *campaign = load_small_campaign("failures", "2026-12-01T00:00:00Z", "m", 50);
  log_record log;
  buffer events = {NULL, 0, 0};
  char *summary;

  memset(&t, 0, sizeof t);
  memset(&log, 0, sizeof log);
  transport = make_transport(&t, 1);
  t.fail_first = 2;     /* calls 1 and 2: the callback fails */
  t.bad_kind_at = 3;    /* call 3: an unknown kind */
  t.bad_reason_at = 4;  /* call 4: a reason that is not UTF-8 */
  t.temporary_at = 5;   /* call 5: 421 4.2.2 */
  t.permanent_at = 6;   /* call 6: 550 5.1.1, the lead fails and its address is suppressed */
  engine = open_engine(OUTREACH_TRANSPORT_CUSTOM, NULL, &transport, 0, &log);
  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
  simulate_campaign(engine, campaign);

  /* Four callback failures, each a temporary failure with the fixed reason; the engine went on. */
  CHECK(count_of(events.data, "\"reason\":\"transport callback failed\"") == 4);
  CHECK(count_of(events.data, "{\"type\":\"deferred\"") == 5);
  CHECK(contains(events.data, "\"reason\":\"mailbox busy, try later\",\"code\":421,\"status\":\"4.2.2\""));
  CHECK(contains(events.data, "{\"type\":\"failed\""));
  CHECK(contains(events.data, "\"reason\":\"no such user here\",\"code\":550,\"status\":\"5.1.1\""));
  CHECK(count_of(events.data, "{\"type\":\"completed\"") == 2);
  CHECK(log.warnings == 4);
  CHECK(contains(log.text.data, "returned 1"));
  CHECK(contains(log.text.data, "unknown outcome kind 42"));
  CHECK(contains(log.text.data, "reason that is not valid UTF-8"));
  CHECK(t.problems == 0);
  summary = summary_of(engine);
  CHECK(contains(summary, "\"failed\":1"));
  CHECK(contains(summary, "\"completed\":2"));
  outreach_string_free(summary);

  buffer_free(&events);
  buffer_free(&log.text);
  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
}

static void test_outbox(void) {
  char folder[] = "outbox-XXXXXX";
  char *new_folder;
  outreach_engine *engine;
  outreach_campaign *campaign = load_small_campaign("outbox", "2026-12-01T00:00:00Z", "m", 10);
  DIR *dir;
  struct dirent *entry;
  size_t files = 0;
  size_t sent = 0;
  buffer events = {NULL, 0, 0};

  CHECK(mkdtemp(folder) != NULL);
  engine = open_engine(OUTREACH_TRANSPORT_OUTBOX, folder, NULL, 0, NULL);
  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
  simulate_campaign(engine, campaign);
  sent = count_of(events.data, "{\"type\":\"sent\"");
  CHECK(sent == 6);
  new_folder = format("%s/new", folder);
  dir = opendir(new_folder);
  CHECK(dir != NULL);
  while (dir && (entry = readdir(dir)) != NULL) {
    if (strstr(entry->d_name, ".eml")) ++files;
  }
  if (dir) closedir(dir);
  CHECK(files == sent);
  free(new_folder);
  buffer_free(&events);
  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
  remove_tree(folder);
}

typedef struct {
  int calls;
  int fail_at;
} failing_listener;

static int fail_on_call(const char *json_line, void *user_data) {
  failing_listener *listener = user_data;
  (void)json_line;
  return ++listener->calls == listener->fail_at ? 5 : 0;
}

static void test_event_callback_failure(void) {
  outreach_engine *engine;
  outreach_campaign *campaign = load_small_campaign("stops", "2026-12-01T00:00:00Z", "m", 10);
  failing_listener listener = {0, 2};
  log_record log;
  size_t count = 0;
  size_t after = 0;
  char *summary;

  memset(&log, 0, sizeof log);
  engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, &log);
  CHECK_OK(outreach_engine_set_event_callback(engine, fail_on_call, &listener));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "stops"));
  CHECK_FAILS(outreach_engine_simulate(engine, NULL, NULL), OUTREACH_ECALLBACK, "returned 5");
  CHECK(listener.calls == 2); /* not called after it failed */
  CHECK(log.errors == 1);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count >= 2 && count < 9); /* the step that was running finished; nothing after it */

  /* The engine stopped for good; what it has is still readable. */
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
  CHECK_OK(outreach_engine_event_count(engine, &after));
  CHECK(after == count);
  summary = summary_of(engine);
  CHECK(contains(summary, "\"status\":\"running\""));
  outreach_string_free(summary);

  buffer_free(&log.text);
  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
}

/* From a callback: reading works, changing the engine is refused, stopping works. */
typedef struct {
  outreach_engine *engine;
  int calls;
  int busy;
  int reads;
} reentrant_listener;

static int call_back_in(const char *json_line, void *user_data) {
  reentrant_listener *listener = user_data;
  size_t count = 0;
  char *json = NULL;
  ++listener->calls;
  if (outreach_engine_start(listener->engine, "reentry") == OUTREACH_EBUSY) ++listener->busy;
  if (outreach_engine_simulate(listener->engine, NULL, NULL) == OUTREACH_EBUSY) ++listener->busy;
  if (outreach_engine_set_event_callback(listener->engine, NULL, NULL) == OUTREACH_EBUSY) ++listener->busy;
  if (outreach_engine_event_count(listener->engine, &count) == OUTREACH_OK && count == (size_t)listener->calls) {
    ++listener->reads;
  }
  if (outreach_engine_event(listener->engine, count - 1, &json) == OUTREACH_OK && strcmp(json, json_line) == 0) {
    ++listener->reads;
  }
  outreach_string_free(json);
  if (outreach_engine_summary(listener->engine, &json) == OUTREACH_OK) ++listener->reads;
  outreach_string_free(json);
  return 0;
}

static void test_reentrancy(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_campaign *campaign = load_small_campaign("reentry", "2026-12-01T00:00:00Z", "m", 10);
  reentrant_listener listener = {NULL, 0, 0, 0};

  listener.engine = engine;
  CHECK_OK(outreach_engine_set_event_callback(engine, call_back_in, &listener));
  simulate_campaign(engine, campaign);
  CHECK(listener.calls == 9);
  CHECK(listener.busy == 3 * listener.calls);
  CHECK(listener.reads == 3 * listener.calls);
  CHECK(contains(outreach_last_error(), "callbacks"));
  outreach_engine_free(engine);

  /* A transport that asks the engine to stop: the simulation returns after that send. */
  {
    test_transport t;
    outreach_transport transport;
    size_t count = 0;
    memset(&t, 0, sizeof t);
    transport = make_transport(&t, 0);
    engine = open_engine(OUTREACH_TRANSPORT_CUSTOM, NULL, &transport, 0, NULL);
    t.engine = engine;
    t.stop_at = 1;
    simulate_campaign(engine, campaign);
    CHECK_OK(outreach_engine_event_count(engine, &count));
    CHECK(t.calls >= 1 && t.calls < 6);
    CHECK(count >= 1 && count < 9);
    outreach_engine_free(engine);
  }
  outreach_campaign_free(campaign);
}

static void test_warnings(void) {
  log_record log;
  outreach_engine *engine;
  outreach_campaign *first = load_small_campaign("first", "2026-12-01T00:00:00Z", "shared", 10);
  outreach_campaign *second = load_small_campaign("second", "2026-12-01T00:00:00Z", "shared", 20);
  char *warnings = NULL;

  memset(&log, 0, sizeof log);
  engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, &log);
  CHECK_OK(outreach_engine_add_campaign(engine, first));
  CHECK_OK(outreach_engine_warnings(engine, &warnings));
  CHECK(warnings && strcmp(warnings, "[]") == 0);
  outreach_string_free(warnings);
  CHECK(log.warnings == 0);

  /* The same mailbox id with another daily limit: the later settings, and a warning, once. */
  CHECK_OK(outreach_engine_add_campaign(engine, second));
  CHECK(log.warnings == 1);
  CHECK(contains(log.text.data, "mailbox \"shared\" is defined again"));
  CHECK_OK(outreach_engine_warnings(engine, &warnings));
  CHECK(warnings && warnings[0] == '[' && contains(warnings, "\"mailbox \\\"shared\\\" is defined again"));
  outreach_string_free(warnings);
  CHECK_OK(outreach_engine_start(engine, "first"));
  CHECK_OK(outreach_engine_start(engine, "second"));
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
  CHECK(log.warnings == 1);

  buffer_free(&log.text);
  outreach_engine_free(engine);
  outreach_campaign_free(first);
  outreach_campaign_free(second);
}

static void test_discard_events(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, OUTREACH_ENGINE_DISCARD_EVENTS, NULL);
  outreach_campaign *campaign = load_small_campaign("discard", "2026-12-01T00:00:00Z", "m", 10);
  buffer events = {NULL, 0, 0};
  size_t count = 0;
  char *json = (char *)&json;

  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
  simulate_campaign(engine, campaign);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count == 9);
  CHECK(count_of(events.data, "\n") == 9);
  CHECK_FAILS(outreach_engine_events(engine, 0, &json), OUTREACH_EINVAL, "OUTREACH_ENGINE_DISCARD_EVENTS");
  CHECK(json == NULL);
  json = (char *)&json;
  CHECK_FAILS(outreach_engine_event(engine, 0, &json), OUTREACH_EINVAL, "OUTREACH_ENGINE_DISCARD_EVENTS");
  CHECK(json == NULL);
  buffer_free(&events);
  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
}

/* An RFC 3339 instant `seconds` from now. */
static void instant_from_now(char *out, size_t size, int seconds) {
  const time_t when = time(NULL) + seconds;
  struct tm utc;
  gmtime_r(&when, &utc);
  strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* A campaign that started in the past runs its first step at once on the system clock; the next
   is days away, after `until`. */
static void test_run_system_clock(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_campaign *campaign = load_small_campaign("live", "2020-01-01T00:00:00Z", "m", 10);
  buffer events = {NULL, 0, 0};
  char until[32];
  char *summary;
  struct timespec start;

  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "live"));
  CHECK_FAILS(outreach_engine_run(engine, "soon"), OUTREACH_EINVAL, "until");
  instant_from_now(until, sizeof until, 5);
  clock_gettime(CLOCK_MONOTONIC, &start);
  CHECK_OK(outreach_engine_run(engine, until));
  CHECK(seconds_since(&start) < 4.0);
  CHECK(count_of(events.data, "{\"type\":\"sent\"") == 3);
  summary = summary_of(engine);
  CHECK(contains(summary, "\"status\":\"running\""));
  CHECK(contains(summary, "\"active\":3"));
  outreach_string_free(summary);
  CHECK_FAILS(outreach_engine_simulate(engine, NULL, NULL), OUTREACH_EINVAL, "system clock");

  buffer_free(&events);
  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
}

typedef struct {
  outreach_engine *engine;
  int busy_seen;
  int stop_status;
} stopper;

static void *stop_later(void *argument) {
  stopper *s = argument;
  char *json = NULL;
  size_t count = 0;
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  /* The engine is running in the other thread: calls other than request_stop are refused. */
  if (outreach_engine_summary(s->engine, &json) == OUTREACH_EBUSY && json == NULL &&
      outreach_engine_event_count(s->engine, &count) == OUTREACH_EBUSY &&
      outreach_engine_start(s->engine, "waits") == OUTREACH_EBUSY && contains(outreach_last_error(), "another thread")) {
    s->busy_seen = 1;
  }
  s->stop_status = outreach_engine_request_stop(s->engine);
  return NULL;
}

static void test_stop_from_thread(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_campaign *campaign = load_small_campaign("waits", "2020-01-01T00:00:00Z", "m", 10);
  stopper s = {NULL, 0, -1};
  pthread_t thread;
  struct timespec start;
  size_t count = 0;

  s.engine = engine;
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "waits"));
  CHECK(pthread_create(&thread, NULL, stop_later, &s) == 0);
  clock_gettime(CLOCK_MONOTONIC, &start);
  CHECK_OK(outreach_engine_run(engine, NULL)); /* the second step is days away: only the stop ends it */
  CHECK(seconds_since(&start) < 10.0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(s.busy_seen);
  CHECK(s.stop_status == OUTREACH_OK);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count == 3);

  /* The stop is final: running again returns at once. */
  clock_gettime(CLOCK_MONOTONIC, &start);
  CHECK_OK(outreach_engine_run(engine, NULL));
  CHECK(seconds_since(&start) < 2.0);

  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
}

static outreach_engine *volatile signalled_engine = NULL;

static void on_alarm(int signal_number) {
  (void)signal_number;
  outreach_engine_request_stop(signalled_engine);
}

static void test_stop_from_signal(void) {
  outreach_engine *engine = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_campaign *campaign = load_small_campaign("signalled", "2020-01-01T00:00:00Z", "m", 10);
  struct sigaction action;
  struct itimerval timer;
  struct timespec start;

  signalled_engine = engine;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_alarm;
  sigemptyset(&action.sa_mask);
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
  memset(&timer, 0, sizeof timer);
  timer.it_value.tv_usec = 300 * 1000;
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "signalled"));
  CHECK(setitimer(ITIMER_REAL, &timer, NULL) == 0);
  clock_gettime(CLOCK_MONOTONIC, &start);
  CHECK_OK(outreach_engine_run(engine, NULL));
  CHECK(seconds_since(&start) < 10.0);

  signalled_engine = NULL;
  outreach_engine_free(engine);
  outreach_campaign_free(campaign);
}

/* ---- main ----------------------------------------------------------------------------------- */

/* ---- the SQLite store ---------------------------------------------------------------------- */

/* A new empty folder for a case's store files (free the result; remove it with remove_tree). */
static char *store_folder(void) { return make_temp_dir("store"); }

static outreach_engine *open_store_engine(const char *path, unsigned int flags) {
  outreach_engine *engine = NULL;
  outreach_engine_options options;
  memset(&options, 0, sizeof options);
  options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  options.flags = flags;
  CHECK_OK(outreach_engine_open(&engine, path, &options));
  return engine;
}

/* Adds and starts the example campaign, and simulates it until `until` (NULL: to its end). */
static void simulate_example(outreach_engine *engine, outreach_campaign *campaign, const char *until) {
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "q4-saas-founders"));
  CHECK_OK(outreach_engine_simulate(engine, NULL, until));
}

/* A campaign simulated into a store, the engine freed, and a new engine on the same file: it
   goes on where the first stopped, so the two logs together are the log of one uninterrupted
   simulation, and the summaries are the same. */
static void test_store_resume(void) {
  outreach_campaign *campaign = load_example_campaign();
  char *folder = store_folder();
  char *path = format("%s/outreach.db", folder);
  outreach_engine *whole = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_engine *engine;
  char *whole_events;
  char *whole_summary;
  char *first;
  char *second;
  char *summary;
  char *joined;
  size_t count = 99;

  simulate_example(whole, campaign, NULL);
  whole_events = pulled_events(whole);
  whole_summary = summary_of(whole);

  engine = open_store_engine(path, 0);
  simulate_example(engine, campaign, "2026-12-08T00:00:00Z");
  first = pulled_events(engine);
  summary = summary_of(engine);
  CHECK(contains(summary, "\"status\":\"running\""));
  outreach_string_free(summary);
  outreach_engine_free(engine);
  CHECK(access(path, R_OK) == 0);

  /* Durable against a power cut this time: the same log. */
  engine = open_store_engine(path, OUTREACH_ENGINE_DURABLE_POWER);
  simulate_example(engine, campaign, NULL);
  second = pulled_events(engine);
  summary = summary_of(engine);
  outreach_engine_free(engine);

  CHECK(first && second && *first && *second);
  joined = format("%s%s", first, second);
  CHECK(whole_events && strcmp(joined, whole_events) == 0);
  CHECK(whole_summary && summary && strcmp(summary, whole_summary) == 0);
  CHECK(!contains(second, "\"type\":\"in_doubt\""));
  outreach_string_free(summary);

  /* Reading it back: an engine on the finished store has nothing to do, and its summary is the
     stored one. */
  engine = open_store_engine(path, 0);
  simulate_example(engine, campaign, NULL);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count == 0);
  summary = summary_of(engine);
  CHECK(whole_summary && summary && strcmp(summary, whole_summary) == 0);
  outreach_string_free(summary);
  outreach_engine_free(engine);

  free(joined);
  free(first);
  free(second);
  outreach_string_free(whole_summary);
  free(whole_events);
  outreach_engine_free(whole);
  remove_tree(folder);
  free(path);
  free(folder);
  outreach_campaign_free(campaign);
}

/* One engine per store: a second one is refused, naming the file, until the first is freed. */
static void test_store_locked(void) {
  char *folder = store_folder();
  char *path = format("%s/outreach.db", folder);
  outreach_engine *first = open_store_engine(path, 0);
  outreach_engine *second = (outreach_engine *)&second;
  CHECK_FAILS(outreach_engine_open(&second, path, NULL), OUTREACH_EUNAVAILABLE, path);
  CHECK(second == NULL);
  CHECK(contains(outreach_last_error(), "engine"));
  outreach_engine_free(first);
  CHECK_OK(outreach_engine_open(&second, path, NULL));
  outreach_engine_free(second);
  remove_tree(folder);
  free(path);
  free(folder);
}

/* Files that are not a store this library can use are refused, named, and left as they were. */
static void test_store_refused(void) {
  static const char text[] = "name,email\nAnn,ann@one.example\n";
  char *folder = store_folder();
  char *path = format("%s/leads.csv", folder);
  char *missing = format("%s/no-such-folder/outreach.db", folder);
  outreach_engine *engine = (outreach_engine *)&engine;
  outreach_engine_options options;
  char *after;
  FILE *file = fopen(path, "wb");
  CHECK(file != NULL);
  if (file) {
    fputs(text, file);
    fclose(file);
  }
  CHECK_FAILS(outreach_engine_open(&engine, path, NULL), OUTREACH_EVALUE, path);
  CHECK(engine == NULL);
  after = read_text(path);
  CHECK(after && strcmp(after, text) == 0);
  free(after);

  CHECK_FAILS(outreach_engine_open(&engine, missing, NULL), OUTREACH_ENOTFOUND, missing);
  CHECK_FAILS(outreach_engine_open(&engine, "\xff.db", NULL), OUTREACH_EUTF8, "store_path");

  /* Power durability is for a store. */
  memset(&options, 0, sizeof options);
  options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  options.flags = OUTREACH_ENGINE_DURABLE_POWER;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "store_path");
  remove_tree(folder);
  free(missing);
  free(path);
  free(folder);
}

/* A store that cannot write stops the engine: simulate says so with the store's error, and keeps
   saying it; the file stays usable, and a new engine finishes the campaign. */
static void test_store_write_failure(void) {
  outreach_campaign *campaign = load_example_campaign();
  char *folder = store_folder();
  char *path = format("%s/outreach.db", folder);
  outreach_engine *whole = open_engine(OUTREACH_TRANSPORT_DRY_RUN, NULL, NULL, 0, NULL);
  outreach_engine *engine = open_store_engine(path, 0);
  struct rlimit limit;
  struct rlimit none;
  void (*previous)(int);
  char *whole_summary;
  char *summary;
  int status;

  simulate_example(whole, campaign, NULL);
  whole_summary = summary_of(whole);
  simulate_example(engine, campaign, "2026-12-08T00:00:00Z");

  /* No file may grow from here: the store's next write fails (EFBIG, not SIGXFSZ). */
  CHECK(getrlimit(RLIMIT_FSIZE, &limit) == 0);
  none = limit;
  none.rlim_cur = 0;
  previous = signal(SIGXFSZ, SIG_IGN);
  CHECK(setrlimit(RLIMIT_FSIZE, &none) == 0);
  status = outreach_engine_simulate(engine, NULL, NULL);
  CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0);
  signal(SIGXFSZ, previous);
  CHECK(status != OUTREACH_OK);
  CHECK(contains(outreach_last_error(), path));
  status = outreach_engine_simulate(engine, NULL, NULL);
  CHECK(status != OUTREACH_OK);
  CHECK(contains(outreach_last_error(), path));
  CHECK(outreach_engine_run(engine, NULL) != OUTREACH_OK);
  outreach_engine_free(engine);

  engine = open_store_engine(path, 0);
  simulate_example(engine, campaign, NULL);
  summary = summary_of(engine);
  CHECK(whole_summary && summary && strcmp(summary, whole_summary) == 0);
  outreach_string_free(summary);
  outreach_engine_free(engine);

  outreach_string_free(whole_summary);
  outreach_engine_free(whole);
  remove_tree(folder);
  free(path);
  free(folder);
  outreach_campaign_free(campaign);
}


static const test_case cases[] = {
    {"version", test_version, NULL},
    {"status_codes", test_status_codes, NULL},
    {"last_error", test_last_error, NULL},
    {"sequence", test_sequence, NULL},
    {"campaign", test_campaign, NULL},
    {"engine_open", test_engine_open, NULL},
    {"null_arguments", test_null_arguments, NULL},
    {"lifecycle", test_lifecycle, NULL},
    {"inbound_errors", test_inbound_errors, NULL},
    {"split_simulation", test_split_simulation, NULL},
    {"custom_transport", test_custom_transport, NULL},
    {"transport_failures", test_transport_failures, NULL},
    {"outbox", test_outbox, NULL},
    {"event_callback_failure", test_event_callback_failure, NULL},
    {"reentrancy", test_reentrancy, NULL},
    {"warnings", test_warnings, NULL},
    {"discard_events", test_discard_events, NULL},
    {"run_system_clock", test_run_system_clock, NULL},
    {"stop_from_thread", test_stop_from_thread, NULL},
    {"stop_from_signal", test_stop_from_signal, NULL},
    {"store_resume", test_store_resume, NULL},
    {"store_locked", test_store_locked, NULL},
    {"store_refused", test_store_refused, NULL},
    {"store_write_failure", test_store_write_failure, NULL},
    {"simulate_matches_cli", NULL, test_simulate_matches_cli},
    {"inbound_matches_cli", NULL, test_inbound_matches_cli},
    {"custom_transport_matches_cli", NULL, test_custom_transport_matches_cli},
    {"window_matches_cli", NULL, test_window_matches_cli},
};

int main(int argc, char **argv) { return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv); }
