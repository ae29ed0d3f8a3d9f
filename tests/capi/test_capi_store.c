/* Tests of store administration through the C interface, in C, through outreach.h only: the
   suppression list and forgetting an address on an engine's store, and reading a store file
   while an engine holds it (outreach_store_reader_*), against real SQLite files.

   Run as `capi_store_tests CASE` (one ctest entry per case) or `capi_store_tests` for every
   case, in a folder where it may make temporary folders. */
#include <outreach.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* ---- campaigns and engines ---------------------------------------------------------------- */

/* Three leads, two steps three days apart, sending at any hour of any day in UTC from
   2026-12-01. */
static const char spring_campaign[] =
    "{\"name\": \"spring\","
    " \"sequence\": {\"name\": \"two-step\", \"steps\": ["
    "   {\"variants\": [{\"subject\": \"Hello {{first_name}}\", \"text\": \"Hi {{first_name}}\"}]},"
    "   {\"delay\": {\"days\": 3}, \"variants\": [{\"text\": \"Bumping this up.\"}]}]},"
    " \"leads\": [{\"email\": \"ann@one.example\", \"first_name\": \"Ann\"},"
    "            {\"email\": \"Bo@Two.example\", \"first_name\": \"Bo\"},"
    "            {\"email\": \"cy@three.example\", \"first_name\": \"Cy\"}],"
    " \"schedule\": {\"timezone\": \"UTC\", \"days\": [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"],"
    "              \"hours\": [\"00:00-24:00\"], \"start\": \"2026-12-01T00:00:00Z\"},"
    " \"mailboxes\": [{\"id\": \"m\", \"from\": \"Sender <sender@acme.example>\", \"daily_limit\": 10}]}";

/* An engine (a dry run) on the store file at `path`, or in memory for NULL. */
static outreach_engine *open_engine(const char *path) {
  outreach_engine *engine = NULL;
  CHECK_OK(outreach_engine_open(&engine, path, NULL));
  return engine;
}

/* Adds and starts the spring campaign, and simulates it until `until` (NULL: to its end). */
static void simulate_spring(outreach_engine *engine, const char *until) {
  outreach_campaign *campaign = NULL;
  CHECK_OK(outreach_campaign_from_json(&campaign, spring_campaign, NULL));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, "spring"));
  CHECK_OK(outreach_engine_simulate(engine, NULL, until));
  outreach_campaign_free(campaign);
}

/* Takes the `added` instants (kept by the store file, so they vary) out of a suppression list's
   JSON, in place, after checking that each is an RFC 3339 UTC instant. */
static char *without_added(char *json) {
  static const char key[] = ",\"added\":\"";
  char *found;
  while (json && (found = strstr(json, key)) != NULL) {
    char *end = strchr(found + sizeof key - 1, '"');
    CHECK(end != NULL && end[-1] == 'Z');
    if (!end) break;
    memmove(found, end + 1, strlen(end + 1) + 1);
  }
  return json;
}

static char *suppressions_of(const outreach_engine *engine) {
  char *json = NULL;
  CHECK_OK(outreach_engine_suppressions(engine, &json));
  return without_added(json);
}

static char *summary_of(const outreach_engine *engine) {
  char *json = NULL;
  CHECK_OK(outreach_engine_summary(engine, &json));
  return json;
}

/* ---- the suppression list --------------------------------------------------------------- */

/* Addresses are checked, kept in lower case with their reason, listed by address, removed, and
   kept in the file. */
static void test_suppression_list(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path);
  outreach_store_reader *reader = NULL;
  char *json;

  CHECK_OK(outreach_engine_suppress(engine, "  Ann@One.Example ", NULL));
  CHECK_OK(outreach_engine_suppress(engine, "bo@two.example", "request"));
  CHECK_OK(outreach_engine_suppress(engine, "ANN@one.example", "again")); /* already on the list: kept as it was */
  json = suppressions_of(engine);
  CHECK_JSON(json, "[{\"address\":\"ann@one.example\",\"reason\":\"manual\"},"
                   "{\"address\":\"bo@two.example\",\"reason\":\"request\"}]");
  outreach_string_free(json);

  /* Not addresses, and bad reasons: refused, naming what is wrong, and nothing changes. */
  CHECK_FAILS(outreach_engine_suppress(engine, "not an address", NULL), OUTREACH_EVALUE, "not an address");
  CHECK_STATUS(outreach_engine_suppress(engine, "Ann <ann@one.example>", NULL), OUTREACH_EVALUE);
  CHECK_STATUS(outreach_engine_suppress(engine, "", NULL), OUTREACH_EVALUE);
  CHECK_FAILS(outreach_engine_suppress(engine, "\xff@one.example", NULL), OUTREACH_EUTF8, "address");
  CHECK_FAILS(outreach_engine_suppress(engine, "cy@three.example", ""), OUTREACH_EINVAL, "reason");
  CHECK_FAILS(outreach_engine_suppress(engine, "cy@three.example", "\xc3"), OUTREACH_EUTF8, "reason");
  CHECK_FAILS(outreach_engine_unsuppress(engine, "ann at one.example"), OUTREACH_EVALUE, "ann at one.example");
  json = suppressions_of(engine);
  CHECK(count_of(json, "\"address\"") == 2);
  outreach_string_free(json);

  /* Removing: any case; an address not on the list is no error. */
  CHECK_OK(outreach_engine_unsuppress(engine, "ANN@ONE.EXAMPLE"));
  CHECK_OK(outreach_engine_unsuppress(engine, "nobody@nowhere.example"));
  json = suppressions_of(engine);
  CHECK_JSON(json, "[{\"address\":\"bo@two.example\",\"reason\":\"request\"}]");
  outreach_string_free(json);
  outreach_engine_free(engine);

  /* In the file: a reader, and the next engine, find it. */
  CHECK_OK(outreach_store_reader_open(&reader, path));
  json = NULL;
  CHECK_OK(outreach_store_reader_suppressions(reader, &json));
  CHECK_JSON(without_added(json), "[{\"address\":\"bo@two.example\",\"reason\":\"request\"}]");
  outreach_string_free(json);
  outreach_store_reader_free(reader);
  engine = open_engine(path);
  json = suppressions_of(engine);
  CHECK_JSON(json, "[{\"address\":\"bo@two.example\",\"reason\":\"request\"}]");
  outreach_string_free(json);
  outreach_engine_free(engine);

  /* An engine in memory has a list too, which ends with it. */
  engine = open_engine(NULL);
  json = suppressions_of(engine);
  CHECK_JSON(json, "[]");
  outreach_string_free(json);
  CHECK_OK(outreach_engine_suppress(engine, "cy@three.example", "complaint"));
  json = suppressions_of(engine);
  CHECK_JSON(json, "[{\"address\":\"cy@three.example\",\"reason\":\"complaint\"}]");
  outreach_string_free(json);
  outreach_engine_free(engine);

  remove_tree(folder);
  free(path);
  free(folder);
}

/* A suppressed lead is skipped with reason "suppressed"; the others get every step. */
static void test_suppressed_lead_is_skipped(void) {
  outreach_engine *engine = open_engine(NULL);
  size_t count = 0;
  size_t i;
  size_t skipped = 0;
  size_t sent = 0;
  CHECK_OK(outreach_engine_suppress(engine, "bo@two.example", NULL)); /* the lead list says Bo@Two.example */
  simulate_spring(engine, NULL);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  for (i = 0; i < count; ++i) {
    char *line = NULL;
    CHECK_OK(outreach_engine_event(engine, i, &line));
    if (contains(line, "\"type\":\"skipped\"")) {
      ++skipped;
      CHECK(contains(line, "\"lead\":\"Bo@Two.example\""));
      CHECK(contains(line, "\"reason\":\"suppressed\""));
    }
    if (contains(line, "\"type\":\"sent\"")) {
      ++sent;
      CHECK(!contains(line, "Bo@Two.example"));
    }
    outreach_string_free(line);
  }
  CHECK(skipped == 1);
  CHECK(sent == 4);
  outreach_engine_free(engine);
}

/* A file of addresses, one a line or a CSV list, imported at once; bad lines are reported with
   their file and line, and do not stop the rest. */
static void test_import_suppressions(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  char *lines = format("%s/old-tool.txt", folder);
  char *csv = format("%s/export.csv", folder);
  char *no_email = format("%s/no-email.csv", folder);
  char *missing = format("%s/missing.txt", folder);
  outreach_engine *engine = open_engine(path);
  char *json = NULL;
  char *needle;

  CHECK(write_text(lines, "# from the old tool, one a line\n"
                         "lead1@example.com\n"
                         "\n"
                         "not an address\n"
                         "  Lead2@Example.COM  \n") == 0);
  CHECK_OK(outreach_engine_import_suppressions(engine, lines, NULL, &json));
  CHECK(contains(json, "{\"suppressed\":2,\"problems\":[{"));
  CHECK(count_of(json, "\"code\":\"invalid_value\"") == 1);
  CHECK(contains(json, "\"line\":4"));
  needle = format("\"file\":\"%s\"", lines);
  CHECK(contains(json, needle));
  free(needle);
  outreach_string_free(json);
  json = suppressions_of(engine);
  CHECK_JSON(json, "[{\"address\":\"lead1@example.com\",\"reason\":\"manual\"},"
                   "{\"address\":\"lead2@example.com\",\"reason\":\"manual\"}]");
  outreach_string_free(json);

  /* A CSV list with an email column, as a lead list; a reason for every entry. */
  CHECK(write_text(csv, "name,email\r\nAnn,ann@one.example\r\n\"Doe, Bo\",Bo@Two.example\r\nCy,cy at three\r\n") == 0);
  json = NULL;
  CHECK_OK(outreach_engine_import_suppressions(engine, csv, "import 2026-11", &json));
  CHECK(contains(json, "{\"suppressed\":2,\"problems\":[{"));
  CHECK(contains(json, "\"line\":4"));
  CHECK(count_of(json, "\"line\"") == 1);
  outreach_string_free(json);
  json = suppressions_of(engine);
  CHECK(contains(json, "{\"address\":\"ann@one.example\",\"reason\":\"import 2026-11\"}"));
  CHECK(contains(json, "{\"address\":\"bo@two.example\",\"reason\":\"import 2026-11\"}"));
  CHECK(count_of(json, "\"address\"") == 4);
  outreach_string_free(json);

  /* Files that cannot be imported at all: named, and nothing changes. */
  CHECK(write_text(no_email, "name,mail\nAnn,ann@four.example\n") == 0);
  json = (char *)&json;
  CHECK_FAILS(outreach_engine_import_suppressions(engine, no_email, NULL, &json), OUTREACH_EVALUE, "email");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_import_suppressions(engine, missing, NULL, &json), OUTREACH_ENOTFOUND, missing);
  CHECK_FAILS(outreach_engine_import_suppressions(engine, folder, NULL, &json), OUTREACH_EIO, folder);
  CHECK_FAILS(outreach_engine_import_suppressions(engine, lines, "", &json), OUTREACH_EINVAL, "reason");
  json = suppressions_of(engine);
  CHECK(count_of(json, "\"address\"") == 4);
  outreach_string_free(json);

  outreach_engine_free(engine);
  remove_tree(folder);
  free(missing);
  free(no_email);
  free(csv);
  free(lines);
  free(path);
  free(folder);
}

/* ---- forgetting ---------------------------------------------------------------------------- */

/* Forgetting erases an address's events in any case, keeps its suppression entry and the other
   leads' events, and says how many records went. */
static void test_forget(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path);
  outreach_store_reader *reader = NULL;
  char *events = NULL;
  char *json;
  size_t erased = 99;

  simulate_spring(engine, NULL);
  CHECK_OK(outreach_engine_suppress(engine, "bo@two.example", NULL));
  CHECK_OK(outreach_engine_forget(engine, " bo@TWO.example", &erased));
  CHECK(erased >= 3); /* two sends and the completion at least */

  /* Read while the engine still holds the store. */
  CHECK_OK(outreach_store_reader_open(&reader, path));
  CHECK_OK(outreach_store_reader_events(reader, NULL, NULL, &events));
  CHECK(!contains(events, "Bo@Two.example"));
  CHECK(count_of(events, "\"lead\":\"ann@one.example\"") >= 3);
  CHECK(count_of(events, "\"lead\":\"cy@three.example\"") >= 3);
  outreach_string_free(events);
  json = NULL;
  CHECK_OK(outreach_store_reader_suppressions(reader, &json));
  CHECK_JSON(without_added(json), "[{\"address\":\"bo@two.example\",\"reason\":\"manual\"}]");
  outreach_string_free(json);

  /* Nothing left to erase; an address that is not one. */
  CHECK_OK(outreach_engine_forget(engine, "bo@two.example", &erased));
  CHECK(erased == 0);
  CHECK_OK(outreach_engine_forget(engine, "nobody@nowhere.example", &erased));
  CHECK(erased == 0);
  erased = 99;
  CHECK_FAILS(outreach_engine_forget(engine, "bo at two", &erased), OUTREACH_EVALUE, "bo at two");
  CHECK(erased == 0);

  outreach_store_reader_free(reader);
  outreach_engine_free(engine);
  remove_tree(folder);
  free(path);
  free(folder);
}

/* ---- reading a store another engine holds ------------------------------------------------ */

/* A reader opens the file an engine holds, takes no lock (a new engine opens while a reader is
   open), and sees what `outreach status` and `outreach events` print: the engine's summary and
   log, with what the engine commits later. */
static void test_reader_while_engine_holds_store(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path);
  outreach_engine *second = NULL;
  outreach_store_reader *reader = NULL;
  outreach_store_reader *other = NULL;
  char *summary;
  char *status = NULL;
  char *events = NULL;
  char *pulled = NULL;
  char *some = NULL;
  size_t count = 0;

  simulate_spring(engine, "2026-12-02T00:00:00Z");
  CHECK_OK(outreach_store_reader_open(&reader, path));
  CHECK_OK(outreach_store_reader_open(&other, path)); /* readers do not keep each other out */
  CHECK_FAILS(outreach_engine_open(&second, path, NULL), OUTREACH_EUNAVAILABLE, path);

  summary = summary_of(engine);
  CHECK_OK(outreach_store_reader_status(reader, &status));
  CHECK_JSON(status, summary);
  CHECK(contains(status, "\"status\":\"running\""));
  outreach_string_free(status);
  outreach_string_free(summary);

  CHECK_OK(outreach_engine_events(engine, 0, &pulled));
  CHECK_OK(outreach_store_reader_events(reader, NULL, NULL, &events));
  CHECK_JSON(events, pulled);
  outreach_string_free(events);
  events = NULL;
  CHECK_OK(outreach_store_reader_events(other, "spring", NULL, &events));
  CHECK_JSON(events, pulled);
  outreach_string_free(events);

  /* Since an instant: the events at or after it. Three first steps went out on Dec 1. */
  CHECK_OK(outreach_store_reader_events(reader, NULL, "2026-12-01T00:00:00Z", &some));
  CHECK_JSON(some, pulled);
  outreach_string_free(some);
  some = NULL;
  CHECK_OK(outreach_store_reader_events(reader, "spring", "2026-12-01T23:59:59.999Z", &some));
  CHECK(!contains(some, "\"type\":\"sent\""));
  outreach_string_free(some);
  outreach_string_free(pulled);

  /* The engine goes on; the reader sees what it commits. */
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
  summary = summary_of(engine);
  status = NULL;
  CHECK_OK(outreach_store_reader_status(reader, &status));
  CHECK_JSON(status, summary);
  CHECK(contains(status, "\"status\":\"finished\""));
  outreach_string_free(status);
  outreach_string_free(summary);
  events = NULL;
  CHECK_OK(outreach_store_reader_events(reader, NULL, NULL, &events));
  CHECK(count_of(events, "\"type\":\"sent\"") == 6);
  CHECK(count_of(events, "\"type\":\"completed\"") == 3);
  outreach_string_free(events);

  /* Errors: an unknown campaign, an instant that is not one. */
  events = (char *)&events;
  CHECK_FAILS(outreach_store_reader_events(reader, "autumn", NULL, &events), OUTREACH_ENOTFOUND, "autumn");
  CHECK(events == NULL);
  CHECK_FAILS(outreach_store_reader_events(reader, NULL, "yesterday", &events), OUTREACH_EINVAL, "since");
  CHECK_FAILS(outreach_store_reader_events(reader, "\xff", NULL, &events), OUTREACH_EUTF8, "campaign");

  /* The reader holds no lock: with it open, the engine leaves and another one comes, which
     finds the campaign finished. */
  outreach_engine_free(engine);
  CHECK_OK(outreach_engine_open(&second, path, NULL));
  simulate_spring(second, NULL);
  CHECK_OK(outreach_engine_event_count(second, &count));
  CHECK(count == 0);
  outreach_engine_free(second);

  outreach_store_reader_free(other);
  outreach_store_reader_free(reader);
  remove_tree(folder);
  free(path);
  free(folder);
}

/* A reader opened first does not keep an engine out either. */
static void test_reader_takes_no_lock(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path);
  outreach_store_reader *reader = NULL;
  char *status = NULL;

  simulate_spring(engine, "2026-12-02T00:00:00Z");
  outreach_engine_free(engine);
  CHECK_OK(outreach_store_reader_open(&reader, path));
  engine = open_engine(path);
  CHECK(engine != NULL);
  CHECK_OK(outreach_store_reader_status(reader, &status));
  CHECK(contains(status, "\"name\":\"spring\""));
  CHECK(contains(status, "\"status\":\"running\""));
  outreach_string_free(status);
  outreach_engine_free(engine);
  outreach_store_reader_free(reader);
  remove_tree(folder);
  free(path);
  free(folder);
}

/* Files a reader cannot use are refused, named, and left as they were; a new store has no
   campaigns yet. */
static void test_reader_refused(void) {
  static const char notes[] = "these are my notes, not a database\n";
  char *folder = make_temp_dir("store");
  char *missing = format("%s/missing.db", folder);
  char *text_file = format("%s/notes.db", folder);
  char *empty_store = format("%s/new.db", folder);
  outreach_store_reader *reader = (outreach_store_reader *)&reader;
  outreach_engine *engine;
  char *after;
  char *json = NULL;

  CHECK_FAILS(outreach_store_reader_open(&reader, missing), OUTREACH_ENOTFOUND, missing);
  CHECK(reader == NULL);
  CHECK(access(missing, F_OK) != 0); /* a reader makes no file */

  CHECK(write_text(text_file, notes) == 0);
  CHECK_FAILS(outreach_store_reader_open(&reader, text_file), OUTREACH_EVALUE, text_file);
  after = read_text(text_file);
  CHECK(after && strcmp(after, notes) == 0);
  free(after);

  CHECK(outreach_store_reader_open(&reader, folder) != OUTREACH_OK);
  CHECK(contains(outreach_last_error(), folder));
  CHECK(reader == NULL);
  CHECK_FAILS(outreach_store_reader_open(&reader, "\xff.db"), OUTREACH_EUTF8, "store_path");

  /* A store an engine made, with nothing in it yet. */
  engine = open_engine(empty_store);
  outreach_engine_free(engine);
  CHECK_OK(outreach_store_reader_open(&reader, empty_store));
  CHECK_OK(outreach_store_reader_status(reader, &json));
  CHECK_JSON(json, "{\"campaigns\":[]}");
  outreach_string_free(json);
  json = NULL;
  CHECK_OK(outreach_store_reader_events(reader, NULL, NULL, &json));
  CHECK_JSON(json, "[]");
  outreach_string_free(json);
  json = NULL;
  CHECK_OK(outreach_store_reader_suppressions(reader, &json));
  CHECK_JSON(without_added(json), "[]");
  outreach_string_free(json);
  outreach_store_reader_free(reader);

  remove_tree(folder);
  free(empty_store);
  free(text_file);
  free(missing);
  free(folder);
}

/* Every new function refuses NULL where it needs a value, names the argument, and clears its
   output. */
static void test_null_arguments(void) {
  outreach_engine *engine = open_engine(NULL);
  outreach_store_reader *reader = (outreach_store_reader *)&reader;
  char *json = (char *)&json;
  size_t count = 7;

  CHECK_FAILS(outreach_engine_suppress(NULL, "a@b.example", NULL), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_suppress(engine, NULL, NULL), OUTREACH_EINVAL, "address");
  CHECK_FAILS(outreach_engine_unsuppress(NULL, "a@b.example"), OUTREACH_EINVAL, "engine");
  CHECK_FAILS(outreach_engine_unsuppress(engine, NULL), OUTREACH_EINVAL, "address");
  CHECK_FAILS(outreach_engine_suppressions(NULL, &json), OUTREACH_EINVAL, "engine");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_suppressions(engine, NULL), OUTREACH_EINVAL, "out_json");
  json = (char *)&json;
  CHECK_FAILS(outreach_engine_import_suppressions(NULL, "x.txt", NULL, &json), OUTREACH_EINVAL, "engine");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_engine_import_suppressions(engine, NULL, NULL, &json), OUTREACH_EINVAL, "path");
  CHECK_FAILS(outreach_engine_import_suppressions(engine, "x.txt", NULL, NULL), OUTREACH_EINVAL, "out_json");
  CHECK_FAILS(outreach_engine_forget(NULL, "a@b.example", &count), OUTREACH_EINVAL, "engine");
  CHECK(count == 0);
  CHECK_FAILS(outreach_engine_forget(engine, NULL, &count), OUTREACH_EINVAL, "address");
  CHECK_FAILS(outreach_engine_forget(engine, "a@b.example", NULL), OUTREACH_EINVAL, "out_count");

  CHECK_FAILS(outreach_store_reader_open(NULL, "x.db"), OUTREACH_EINVAL, "out");
  CHECK_FAILS(outreach_store_reader_open(&reader, NULL), OUTREACH_EINVAL, "store_path");
  CHECK(reader == NULL);
  json = (char *)&json;
  CHECK_FAILS(outreach_store_reader_status(NULL, &json), OUTREACH_EINVAL, "reader");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_store_reader_status(reader, NULL), OUTREACH_EINVAL, "out_json");
  json = (char *)&json;
  CHECK_FAILS(outreach_store_reader_events(NULL, NULL, NULL, &json), OUTREACH_EINVAL, "reader");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_store_reader_events(reader, NULL, NULL, NULL), OUTREACH_EINVAL, "out_json");
  json = (char *)&json;
  CHECK_FAILS(outreach_store_reader_suppressions(NULL, &json), OUTREACH_EINVAL, "reader");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_store_reader_suppressions(reader, NULL), OUTREACH_EINVAL, "out_json");
  outreach_store_reader_free(NULL);

  /* The engine is untouched by all of that. */
  json = suppressions_of(engine);
  CHECK_JSON(json, "[]");
  outreach_string_free(json);
  outreach_engine_free(engine);
}

/* From the engine's own event callback, the list may be read but not changed (the engine is in
   the middle of a write). */
typedef struct {
  outreach_engine *engine;
  int calls;
  int read_status;
  int suppress_status;
  int forget_status;
} callback_probe;

static int probe_store(const char *json_line, void *user_data) {
  callback_probe *probe = user_data;
  char *json = NULL;
  size_t count = 0;
  (void)json_line;
  if (probe->calls++ > 0) return 0;
  probe->read_status = outreach_engine_suppressions(probe->engine, &json);
  outreach_string_free(json);
  probe->suppress_status = outreach_engine_suppress(probe->engine, "a@b.example", NULL);
  probe->forget_status = outreach_engine_forget(probe->engine, "a@b.example", &count);
  return 0;
}

static void test_changes_refused_from_callbacks(void) {
  outreach_engine *engine = open_engine(NULL);
  callback_probe probe = {NULL, 0, 1, 1, 1};
  char *json;
  probe.engine = engine;
  CHECK_OK(outreach_engine_set_event_callback(engine, probe_store, &probe));
  simulate_spring(engine, NULL);
  CHECK(probe.calls > 0);
  CHECK(probe.read_status == OUTREACH_OK);
  CHECK(probe.suppress_status == OUTREACH_EBUSY);
  CHECK(probe.forget_status == OUTREACH_EBUSY);
  json = suppressions_of(engine);
  CHECK_JSON(json, "[]");
  outreach_string_free(json);
  outreach_engine_free(engine);
}

/* ---- requests of a store's campaigns ------------------------------------------------------ */

/* With no engine holding the store the call applies the request itself; while one holds it the
   request waits in the store for that engine (here one that only simulates, so never), and the
   next call that applies requests applies it first, in order. */
static void test_store_request(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path);
  outreach_store_reader *reader = NULL;
  char *json = NULL;

  simulate_spring(engine, "2026-12-02T00:00:00Z");
  CHECK_OK(outreach_store_request(path, "{\"action\":\"pause\",\"campaign\":\"spring\"}", 0, &json));
  CHECK(contains(json, "\"applied_here\":false"));
  CHECK(contains(json, "\"answer\":null"));
  outreach_string_free(json);
  json = NULL;
  outreach_engine_free(engine);

  CHECK_OK(outreach_store_request(path, "{\"action\":\"stop\",\"campaign\":\"spring\"}", 1000, &json));
  CHECK(contains(json, "\"applied_here\":true"));
  CHECK(contains(json, "\"message\":\"campaign \\\"spring\\\" stopped\""));
  outreach_string_free(json);
  json = NULL;
  CHECK_OK(outreach_store_reader_open(&reader, path));
  CHECK_OK(outreach_store_reader_events(reader, "spring", NULL, &json));
  CHECK(contains(json, "\"type\":\"campaign_paused\""));
  CHECK(strstr(json, "campaign_paused") < strstr(json, "campaign_stopped"));
  outreach_string_free(json);
  json = NULL;

  /* Refused by the engine: an answer, not an error. */
  CHECK_OK(outreach_store_request(path, "{\"action\":\"resume\",\"campaign\":\"spring\"}", 0, &json));
  CHECK(contains(json, "\"applied\":false"));
  CHECK(contains(json, "\"error\":\"invalid_argument\""));
  outreach_string_free(json);
  json = NULL;
  CHECK_FAILS(outreach_store_request(path, "{\"action\":\"pause\",\"campaign\":\"autumn\"}", 0, &json),
              OUTREACH_ENOTFOUND, "autumn");
  CHECK_FAILS(outreach_store_request(path, "{\"action\":\"suppress\",\"addresses\":[\"a b@x.example\"]}", 0, &json),
              OUTREACH_EVALUE, "addresses[0]");
  CHECK_FAILS(outreach_store_request(path, "{\"action\":\"pause\"", 0, &json), OUTREACH_EPARSE, "request");
  CHECK_FAILS(outreach_store_request(NULL, "{}", 0, &json), OUTREACH_EINVAL, "store_path");
  CHECK(json == NULL);
  outreach_store_reader_free(reader);
  remove_tree(folder);
  free(path);
  free(folder);
}

/* Leads read from a file and added, and a changed campaign applied, through requests. */
static void test_store_request_leads_and_update(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  char *csv = format("%s/more.csv", folder);
  outreach_engine *engine = open_engine(path);
  outreach_campaign *campaign = NULL;
  char *json = NULL;
  char *request;
  char *lowered;
  char *definition = NULL;
  const char *leads;
  const char *problems;

  simulate_spring(engine, "2026-12-02T00:00:00Z");
  outreach_engine_free(engine);

  CHECK(write_text(csv, "email,first_name\nnew@four.example,New\nnot an address,Bad\nann@one.example,Ann\n") == 0);
  CHECK_OK(outreach_leads_load(csv, &json));
  CHECK(contains(json, "\"email\":\"new@four.example\""));
  CHECK(contains(json, "\"line\":3"));
  /* The leads array, as the request's `leads`. */
  leads = strstr(json, "[");
  problems = strstr(json, ",\"problems\"");
  CHECK(leads != NULL && problems != NULL && leads < problems);
  request = format("{\"action\":\"add_leads\",\"campaign\":\"spring\",\"leads\":%.*s}", (int)(problems - leads), leads);
  outreach_string_free(json);
  json = NULL;
  CHECK_OK(outreach_store_request(path, request, 1000, &json));
  CHECK(contains(json, "\"changed\":1"));
  CHECK(contains(json, "\"already_in\":1"));
  outreach_string_free(json);
  json = NULL;
  free(request);

  /* The same campaign with a lower daily limit (the same length of text). */
  lowered = format("%s", spring_campaign);
  memcpy(strstr(lowered, "\"daily_limit\": 10") + strlen("\"daily_limit\": "), " 5", 2);
  CHECK_OK(outreach_campaign_from_json(&campaign, lowered, NULL));
  CHECK_OK(outreach_campaign_to_json(campaign, &definition));
  request = format("{\"action\":\"update\",\"campaign\":\"spring\",\"definition\":%s}", definition);
  CHECK_OK(outreach_store_request(path, request, 1000, &json));
  CHECK(contains(json, "mailboxes[m].daily_limit: 10 -> 5"));
  outreach_string_free(json);
  json = NULL;
  CHECK_FAILS(outreach_leads_load(NULL, &json), OUTREACH_EINVAL, "path");
  CHECK_FAILS(outreach_campaign_to_json(NULL, &json), OUTREACH_EINVAL, "campaign");
  outreach_string_free(definition);
  outreach_campaign_free(campaign);
  free(request);
  free(lowered);
  remove_tree(folder);
  free(csv);
  free(path);
  free(folder);
}

/* ---- a PostgreSQL store ------------------------------------------------------------------- */

/* The same calls on a `postgresql://` location: an engine goes on where the last one was, a reader
   sees what it commits, and a second engine on the same store leaves the first one's campaign
   alone. The server is the test run's
   (OUTREACH_TEST_POSTGRESQL, its maintenance database); without it the case is skipped. */
static int test_postgresql_store(void) {
  const char *server = getenv("OUTREACH_TEST_POSTGRESQL");
  static int databases = 0;
  char *name;
  char *command;
  char *uri;
  const char *path_start;
  const char *query;
  outreach_engine *engine;
  outreach_engine *second = NULL;
  outreach_store_reader *reader = NULL;
  char *summary;
  char *status = NULL;
  size_t count = 0;

  if (!server || !*server) return 77;
  /* A new database: postgresql://postgres@/postgres?host=DIR becomes .../NAME?host=DIR. */
  name = format("capi%ld_%d", (long)getpid(), ++databases);
  command = format("/usr/lib/postgresql/15/bin/createdb --maintenance-db='%s' %s", server, name);
  CHECK(system(command) == 0);
  path_start = strstr(server, "@/");
  query = strchr(server, '?');
  CHECK(path_start != NULL && query != NULL);
  if (!path_start || !query) return 1;
  uri = format("%.*s%s%s", (int)(path_start + 2 - server), server, name, query);

  engine = open_engine(uri);
  simulate_spring(engine, "2026-12-02T00:00:00Z");
  /* A second engine shares the store: the campaign runs in the first, the second sends nothing. */
  second = open_engine(uri);
  simulate_spring(second, NULL);
  CHECK_OK(outreach_engine_event_count(second, &count));
  CHECK(count == 0);
  outreach_engine_free(second);
  CHECK_OK(outreach_store_reader_open(&reader, uri));
  summary = summary_of(engine);
  CHECK_OK(outreach_store_reader_status(reader, &status));
  CHECK_JSON(status, summary);
  outreach_string_free(status);
  outreach_string_free(summary);
  outreach_engine_free(engine);

  second = open_engine(uri);
  simulate_spring(second, NULL);
  summary = summary_of(second);
  CHECK(contains(summary, "\"status\":\"finished\""));
  status = NULL;
  CHECK_OK(outreach_store_reader_status(reader, &status));
  CHECK_JSON(status, summary);
  outreach_string_free(status);
  outreach_string_free(summary);
  outreach_engine_free(second);

  /* Once more: a finished campaign, nothing new. */
  engine = open_engine(uri);
  simulate_spring(engine, NULL);
  CHECK_OK(outreach_engine_event_count(engine, &count));
  CHECK(count == 0);
  outreach_engine_free(engine);
  outreach_store_reader_free(reader);
  free(uri);
  free(command);
  free(name);
  return 0;
}

/* Explaining a lead from a reader: what holds it and when it goes; bad questions refused. */
static void test_explain(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path);
  outreach_store_reader *reader = NULL;
  char *json = NULL;

  simulate_spring(engine, "2026-12-01T12:00:00Z"); /* every step 1 at midnight, step 2 three days on */
  CHECK_OK(outreach_store_reader_open(&reader, path));
  CHECK_OK(outreach_store_reader_explain(reader, "spring", "ANN@one.example", NULL, &json));
  CHECK(contains(json, "\"status\":\"active\""));
  CHECK(contains(json, "\"next_step\":2"));
  CHECK(contains(json, "\"earliest\":\"2026-12-04T00:00:00Z\""));
  CHECK(contains(json, "{\"reason\":\"delay\",\"until\":\"2026-12-04T00:00:00Z\"}"));
  CHECK(contains(json, "\"history\":[{\"type\":\"sent\""));
  outreach_string_free(json);
  json = NULL;
  CHECK_FAILS(outreach_store_reader_explain(reader, "spring", "nobody@one.example", NULL, &json), OUTREACH_ENOTFOUND,
              "nobody@one.example");
  CHECK(json == NULL);
  CHECK_FAILS(outreach_store_reader_explain(reader, "spring", "ann@one.example", "noon", &json), OUTREACH_EINVAL, "at");
  CHECK_FAILS(outreach_store_reader_explain(reader, "spring", "ann@one.example", "2026-11-01T00:00:00Z", &json),
              OUTREACH_EINVAL, "before");
  CHECK_FAILS(outreach_store_reader_explain(reader, NULL, "ann@one.example", NULL, &json), OUTREACH_EINVAL, "campaign");
  outreach_store_reader_free(reader);
  outreach_engine_free(engine);
  remove_tree(folder);
  free(path);
  free(folder);
}

/* Forecasting from a reader: the sends to come per day; bad questions refused. */
static void test_forecast(void) {
  char *folder = make_temp_dir("store");
  char *path = format("%s/outreach.db", folder);
  outreach_engine *engine = open_engine(path);
  outreach_store_reader *reader = NULL;
  char *json = NULL;

  simulate_spring(engine, "2026-12-01T12:00:00Z"); /* step 2 of the three leads is left, on 12-04 */
  CHECK_OK(outreach_store_reader_open(&reader, path));
  CHECK_OK(outreach_store_reader_forecast(reader, "spring", NULL, 0.0, &json));
  CHECK(contains(json, "\"sends\":3"));
  CHECK(contains(json, "\"ends\":\"2026-12-04T00:00:00Z\""));
  CHECK(contains(json, "\"days\":[{\"date\":\"2026-12-04\",\"mailbox\":\"m\",\"sent\":3}]"));
  outreach_string_free(json);
  json = NULL;
  /* Replies are assumed of the sends to come: step 2 goes to all three all the same. */
  CHECK_OK(outreach_store_reader_forecast(reader, "spring", NULL, 1.0, &json));
  CHECK(contains(json, "\"sends\":3"));
  outreach_string_free(json);
  json = NULL;
  CHECK_FAILS(outreach_store_reader_forecast(reader, "autumn", NULL, 0.0, &json), OUTREACH_ENOTFOUND, "autumn");
  CHECK_FAILS(outreach_store_reader_forecast(reader, "spring", NULL, 1.5, &json), OUTREACH_EINVAL, "reply rate");
  CHECK_FAILS(outreach_store_reader_forecast(reader, "spring", "2026-11-01T00:00:00Z", 0.0, &json), OUTREACH_EINVAL,
              "before");
  CHECK(json == NULL);
  outreach_store_reader_free(reader);
  outreach_engine_free(engine);
  remove_tree(folder);
  free(path);
  free(folder);
}

static const test_case cases[] = {
    {"explain", test_explain, NULL},
    {"forecast", test_forecast, NULL},
    {"suppression_list", test_suppression_list, NULL},
    {"suppressed_lead_is_skipped", test_suppressed_lead_is_skipped, NULL},
    {"import_suppressions", test_import_suppressions, NULL},
    {"forget", test_forget, NULL},
    {"reader_while_engine_holds_store", test_reader_while_engine_holds_store, NULL},
    {"reader_takes_no_lock", test_reader_takes_no_lock, NULL},
    {"reader_refused", test_reader_refused, NULL},
    {"null_arguments", test_null_arguments, NULL},
    {"changes_refused_from_callbacks", test_changes_refused_from_callbacks, NULL},
    {"store_request", test_store_request, NULL},
    {"store_request_leads_and_update", test_store_request_leads_and_update, NULL},
    {"postgresql_store", NULL, test_postgresql_store},
};

int main(int argc, char **argv) { return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv); }
