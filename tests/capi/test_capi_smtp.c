/* Tests of SMTP sending through the C interface: the standalone SMTP client (outreach_smtp_*),
   the engine's mailbox transport and the versions of outreach_engine_options, in C, through
   outreach.h only.

   Run as `capi_smtp_tests CASE` (one ctest entry per case) or `capi_smtp_tests` for every case.
   The cases that need a real server start tests/capi/smtp_sink.py (aiosmtpd) with the Python of
   OUTREACH_PYTHON; without it they exit with 77 (skipped). */
#include <outreach.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* How many entries a folder has, not counting "." and "..". */
static size_t count_entries(const char *dir) {
  size_t count = 0;
  struct dirent *entry;
  DIR *folder = opendir(dir);
  if (!folder) return 0;
  while ((entry = readdir(folder)) != NULL) {
    if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) ++count;
  }
  closedir(folder);
  return count;
}

/* How many files in `dir` end with `suffix`. */
static size_t count_files(const char *dir, const char *suffix) {
  size_t count = 0;
  size_t number;
  for (number = 1;; ++number) {
    char *path = format("%s/%zu%s", dir, number, suffix);
    const int exists = access(path, F_OK) == 0;
    free(path);
    if (!exists) break;
    ++count;
  }
  return count;
}

/* ---- ports and the test server ---------------------------------------------------------- */

/* A TCP port on 127.0.0.1 that nothing listens on (at least right now). */
static int unused_port(void) {
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  int port = 0;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
      getsockname(fd, (struct sockaddr *)&address, &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

typedef struct {
  pid_t pid;
  int port;
  char *dir; /* where the server keeps what it received */
} sink;

/* Starts smtp_sink.py on a new folder; 0 when it runs, 77 when it cannot (no Python or no
   aiosmtpd), 1 on another failure. `login` is "USER:PASSWORD" or NULL. */
static int start_sink(sink *server, const char *login) {
  const char *python = getenv("OUTREACH_PYTHON");
  char *script = format("%s/tests/capi/smtp_sink.py", source_dir());
  int pipe_fds[2];
  char line[128];
  size_t used = 0;
  ssize_t got;

  memset(server, 0, sizeof *server);
  if (!python || !*python) python = "python3";
  server->dir = make_temp_dir("/tmp/outreach-capi-smtp");
  if (pipe(pipe_fds) != 0) abort();
  server->pid = fork();
  if (server->pid < 0) abort();
  if (server->pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (login) {
      execlp(python, python, script, server->dir, "--login", login, (char *)NULL);
    } else {
      execlp(python, python, script, server->dir, (char *)NULL);
    }
    printf("skip: cannot run %s: %s\n", python, strerror(errno));
    fflush(stdout);
    _exit(77);
  }
  free(script);
  close(pipe_fds[1]);
  while (used + 1 < sizeof line && (got = read(pipe_fds[0], line + used, 1)) == 1) {
    if (line[used] == '\n') break;
    ++used;
  }
  line[used] = '\0';
  close(pipe_fds[0]);
  server->port = atoi(line);
  if (server->port > 0) return 0;
  fprintf(stderr, "smtp_sink.py: %s\n", line);
  waitpid(server->pid, NULL, 0);
  server->pid = 0;
  remove_tree(server->dir);
  free(server->dir);
  server->dir = NULL;
  return strncmp(line, "skip:", 5) == 0 ? 77 : 1;
}

static void stop_sink(sink *server) {
  if (server->pid > 0) {
    kill(server->pid, SIGTERM);
    waitpid(server->pid, NULL, 0);
  }
  if (server->dir) {
    remove_tree(server->dir);
    free(server->dir);
  }
  memset(server, 0, sizeof *server);
}

/* The n-th message (1-based) the server received, or its envelope record. */
static char *received(const sink *server, size_t number, const char *suffix) {
  char *path = format("%s/%zu%s", server->dir, number, suffix);
  char *text = read_text(path);
  free(path);
  return text;
}

/* ---- messages and mailboxes ------------------------------------------------------------- */

static const char message_data[] =
    "From: Mo Sender <mo@sender.example>\r\n"
    "To: Ann <ann@one.example>\r\n"
    "Subject: Hello from C\r\n"
    "Message-ID: <c-test-1@sender.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hi Ann,\r\n"
    ".a line that starts with a dot\r\n"
    "Mo\r\n";

static char *mailbox_json(int port, const char *extra) {
  return format("{\"id\": \"mo\", \"from\": \"Mo Sender <mo@sender.example>\","
                " \"transport\": \"smtp://127.0.0.1:%d\", \"security\": \"none\"%s}",
                port, extra ? extra : "");
}

/* Outcomes handed to a submit callback. */
typedef struct {
  buffer outcomes;
  size_t calls;
  int result; /* what the callback returns */
  outreach_smtp *smtp; /* when set, the callback tries to use it (which must fail) */
  int reentry_status;
  size_t connections_seen;
} done_record;

static int record_outcome(const char *outcome_json, void *user_data) {
  done_record *record = user_data;
  char *copy = NULL;
  record->calls += 1;
  buffer_add(&record->outcomes, outcome_json);
  buffer_add(&record->outcomes, "\n");
  if (record->smtp) {
    record->reentry_status = outreach_smtp_send(record->smtp, "{}", "a@b.example", "c@d.example", "", 0, 0, &copy);
    outreach_string_free(copy);
    if (outreach_smtp_connections_opened(record->smtp, &record->connections_seen) != OUTREACH_OK) {
      record->connections_seen = 999;
    }
  }
  return record->result;
}

/* What the credentials and trace callbacks saw. */
typedef struct {
  const char *username;
  const char *secret;
  int fail;
  size_t calls;
  size_t refreshes;
  buffer mechanisms;
  buffer trace;
} login_record;

static int give_login(const char *mailbox_id, const char *mechanism, int refresh,
                      outreach_smtp_credentials *credentials, void *user_data) {
  login_record *record = user_data;
  record->calls += 1;
  record->refreshes += refresh ? 1 : 0;
  buffer_add(&record->mechanisms, mechanism);
  buffer_add(&record->mechanisms, " ");
  if (strcmp(mailbox_id, "mo") != 0 || record->fail) return 1;
  credentials->username = record->username;
  credentials->secret = record->secret;
  return 0;
}

static void keep_trace(const char *line, void *user_data) {
  login_record *record = user_data;
  buffer_add(&record->trace, line);
  buffer_add(&record->trace, "\n");
}

/* ---- settings ----------------------------------------------------------------------------- */

static void test_settings(void) {
  outreach_smtp *smtp = (outreach_smtp *)&smtp;
  outreach_smtp_callbacks callbacks;

  CHECK_OK(outreach_smtp_open(&smtp, NULL, NULL));
  CHECK(smtp != NULL);
  outreach_smtp_free(smtp);
  outreach_smtp_free(NULL);
  CHECK_OK(outreach_smtp_open(&smtp, "{}", NULL));
  outreach_smtp_free(smtp);
  CHECK_OK(outreach_smtp_open(&smtp,
                              "{\"helo_name\": \"client.sender.example\", \"connections_per_mailbox\": 3,"
                              " \"pipelining\": false, \"timeouts\": {\"connect\": {\"seconds\": 5},"
                              " \"tls\": {\"milliseconds\": 2500}, \"command\": {\"minutes\": 1, \"seconds\": 30},"
                              " \"data\": {\"hours\": 1}, \"idle\": {\"days\": 1}}}",
                              NULL));
  outreach_smtp_free(smtp);
  CHECK_OK(outreach_smtp_open(&smtp, "{\"helo_name\": \"[192.0.2.1]\"}", NULL));
  outreach_smtp_free(smtp);
  CHECK_OK(outreach_smtp_open(&smtp, "{\"helo_name\": \"bücher.example\"}", NULL));
  outreach_smtp_free(smtp);

  smtp = (outreach_smtp *)&smtp;
  CHECK_FAILS(outreach_smtp_open(NULL, NULL, NULL), OUTREACH_EINVAL, "out");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{", NULL), OUTREACH_EPARSE, "");
  CHECK(smtp == NULL);
  CHECK_FAILS(outreach_smtp_open(&smtp, "", NULL), OUTREACH_EPARSE, "");
  CHECK_FAILS(outreach_smtp_open(&smtp, "[]", NULL), OUTREACH_EVALUE, "object");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"colour\": 1}", NULL), OUTREACH_EUNKNOWNKEY, "colour");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"timeouts\": {\"connect\": {\"secs\": 5}}}", NULL), OUTREACH_EUNKNOWNKEY,
              "timeouts.connect.secs");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"timeouts\": {\"conect\": {\"seconds\": 5}}}", NULL), OUTREACH_EUNKNOWNKEY,
              "timeouts.conect");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"timeouts\": {\"data\": {}}}", NULL), OUTREACH_EVALUE, "timeouts.data");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"timeouts\": {\"data\": {\"days\": 2}}}", NULL), OUTREACH_EVALUE,
              "timeouts.data");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"timeouts\": {\"idle\": {\"seconds\": -1}}}", NULL), OUTREACH_EVALUE,
              "timeouts.idle.seconds");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"timeouts\": {\"idle\": 30}}", NULL), OUTREACH_EVALUE, "timeouts.idle");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"connections_per_mailbox\": 0}", NULL), OUTREACH_EVALUE,
              "connections_per_mailbox");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"pipelining\": \"yes\"}", NULL), OUTREACH_EVALUE, "pipelining");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"helo_name\": \"not a name\"}", NULL), OUTREACH_EVALUE, "helo_name");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"helo_name\": \"\"}", NULL), OUTREACH_EVALUE, "helo_name");
  CHECK_FAILS(outreach_smtp_open(&smtp, "{\"helo_name\": \"a\xff\"}", NULL), OUTREACH_EUTF8, "settings_json");
  CHECK(smtp == NULL);

  /* Every error of the document at once, each with its path. */
  CHECK_STATUS(outreach_smtp_open(&smtp, "{\"pipelining\": 1, \"timeouts\": {\"tls\": {\"hours\": 0}}, \"x\": 2}", NULL),
               OUTREACH_EVALUE);
  CHECK_CONTAINS(outreach_last_error_details(), "\"json_path\":\"pipelining\"");
  CHECK_CONTAINS(outreach_last_error_details(), "\"json_path\":\"timeouts.tls\"");
  CHECK_CONTAINS(outreach_last_error_details(), "\"json_path\":\"x\"");

  memset(&callbacks, 0, sizeof callbacks);
  callbacks.version = 9;
  CHECK_FAILS(outreach_smtp_open(&smtp, NULL, &callbacks), OUTREACH_EINVAL, "version 9");
  callbacks.version = OUTREACH_SMTP_CALLBACKS_VERSION;
  CHECK_OK(outreach_smtp_open(&smtp, NULL, &callbacks)); /* no callback at all is fine */
  outreach_smtp_free(smtp);
}

/* ---- the arguments of send and submit ---------------------------------------------------- */

static void test_send_arguments(void) {
  outreach_smtp *smtp = NULL;
  char *outcome = (char *)&outcome;
  char *mailbox = mailbox_json(unused_port(), NULL);
  char *missing_key = mailbox_json(unused_port(), ", \"dkim\": {\"domain\": \"sender.example\", \"selector\": "
                                                  "\"s1\", \"key_file\": \"/nonexistent/dkim.pem\"}");
  done_record record;
  memset(&record, 0, sizeof record);

  CHECK_OK(outreach_smtp_open(&smtp, NULL, NULL));
  CHECK_FAILS(outreach_smtp_send(NULL, mailbox, "", "a@b.example", "", 0, 0, &outcome), OUTREACH_EINVAL, "smtp");
  CHECK(outcome == NULL);
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "", "a@b.example", "", 0, 0, NULL), OUTREACH_EINVAL,
              "out_outcome_json");
  CHECK_FAILS(outreach_smtp_send(smtp, NULL, "", "a@b.example", "", 0, 0, &outcome), OUTREACH_EINVAL, "mailbox_json");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, NULL, "a@b.example", "", 0, 0, &outcome), OUTREACH_EINVAL,
              "envelope_from");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "", NULL, "", 0, 0, &outcome), OUTREACH_EINVAL, "envelope_to");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "", "a@b.example", NULL, 4, 0, &outcome), OUTREACH_EINVAL, "data");
  CHECK_FAILS(outreach_smtp_send(smtp, "{\"id\": ", "", "a@b.example", "", 0, 0, &outcome), OUTREACH_EPARSE, "");
  CHECK_FAILS(outreach_smtp_send(smtp, "{\"id\": \"m\xff\"}", "", "a@b.example", "", 0, 0, &outcome), OUTREACH_EUTF8,
              "mailbox_json");
  CHECK_FAILS(outreach_smtp_send(smtp, "{\"from\": \"a@b.example\", \"transport\": \"smtp://127.0.0.1:1\"}", "",
                                 "a@b.example", "", 0, 0, &outcome),
              OUTREACH_EVALUE, "id");
  CHECK_FAILS(outreach_smtp_send(smtp,
                                 "{\"id\": \"m\", \"from\": \"a@b.example\", \"transport\": \"smtp://127.0.0.1:1\","
                                 " \"colour\": \"red\"}",
                                 "", "a@b.example", "", 0, 0, &outcome),
              OUTREACH_EUNKNOWNKEY, "colour");
  CHECK_FAILS(outreach_smtp_send(smtp,
                                 "{\"id\": \"m\", \"from\": \"a@b.example\", \"transport\": \"smtp://127.0.0.1:1\","
                                 " \"password\": \"hunter2\"}",
                                 "", "a@b.example", "", 0, 0, &outcome),
              OUTREACH_EVALUE, "password_env");
  CHECK(!contains(outreach_last_error(), "hunter2"));
  CHECK_FAILS(outreach_smtp_send(smtp, "{\"id\": \"m\", \"from\": \"a@b.example\", \"transport\": \"outbox:sent\"}", "",
                                 "a@b.example", "", 0, 0, &outcome),
              OUTREACH_EVALUE, "smtp");
  CHECK_FAILS(outreach_smtp_send(smtp, "{\"id\": \"m\", \"from\": \"a@b.example\"}", "", "a@b.example", "", 0, 0,
                                 &outcome),
              OUTREACH_EVALUE, "transport");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "", "not an address", "", 0, 0, &outcome), OUTREACH_EVALUE,
              "envelope_to");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "<a@b.example>", "a@b.example", "", 0, 0, &outcome), OUTREACH_EVALUE,
              "envelope_from");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "a@b.example", "a@b.example\r\nRCPT TO:<x@y.example>", "", 0, 0,
                                 &outcome),
              OUTREACH_EVALUE, "envelope_to");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "", "a@b.example", "Subject: x\n\nbody\n", 18, 0, &outcome),
              OUTREACH_EVALUE, "bare LF");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "", "a@b.example", "Subject: x\r\n\r\nbo\rdy\r\n", 21, 0, &outcome),
              OUTREACH_EVALUE, "CR");
  CHECK_FAILS(outreach_smtp_send(smtp, mailbox, "", "a@b.example", "Subject: x\r\n\r\nb\0dy\r\n", 19, 0, &outcome),
              OUTREACH_EVALUE, "NUL");
  CHECK_STATUS(outreach_smtp_send(smtp, missing_key, "", "a@b.example", message_data, sizeof message_data - 1, 0,
                                  &outcome),
               OUTREACH_ENOTFOUND);
  CHECK(outcome == NULL);

  CHECK_FAILS(outreach_smtp_submit(NULL, mailbox, "", "a@b.example", "", 0, 0, record_outcome, &record),
              OUTREACH_EINVAL, "smtp");
  CHECK_FAILS(outreach_smtp_submit(smtp, mailbox, "", "a@b.example", "", 0, 0, NULL, &record), OUTREACH_EINVAL, "done");
  CHECK_FAILS(outreach_smtp_submit(smtp, mailbox, "", "bad", "", 0, 0, record_outcome, &record), OUTREACH_EVALUE,
              "envelope_to");
  CHECK_OK(outreach_smtp_flush(smtp));
  CHECK(record.calls == 0); /* nothing was queued */

  CHECK_FAILS(outreach_smtp_flush(NULL), OUTREACH_EINVAL, "smtp");
  CHECK_FAILS(outreach_smtp_close(NULL), OUTREACH_EINVAL, "smtp");
  CHECK_FAILS(outreach_smtp_connections_opened(NULL, &record.connections_seen), OUTREACH_EINVAL, "smtp");
  CHECK_FAILS(outreach_smtp_connections_opened(smtp, NULL), OUTREACH_EINVAL, "out_count");

  outreach_smtp_free(smtp);
  free(mailbox);
  free(missing_key);
  buffer_free(&record.outcomes);
}

/* Nothing listens: every outcome is temporary, through each entry point, and the callbacks of
   submitted messages run in flush, close or free, never in submit. */
static void test_unreachable_server(void) {
  outreach_smtp *smtp = NULL;
  char *outcome = NULL;
  char *mailbox = mailbox_json(unused_port(), NULL);
  done_record record;
  done_record late;
  size_t connections = 7;
  memset(&record, 0, sizeof record);
  memset(&late, 0, sizeof late);

  CHECK_OK(outreach_smtp_open(&smtp, "{\"timeouts\": {\"connect\": {\"seconds\": 5}}}", NULL));
  CHECK_OK(outreach_smtp_send(smtp, mailbox, "mo@sender.example", "ann@one.example", message_data,
                              sizeof message_data - 1, 0, &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"temporary\"");
  CHECK_CONTAINS(outcome, "\"maybe_delivered\":false");
  CHECK_CONTAINS(outcome, "\"queue_id\":\"\"");
  outreach_string_free(outcome);

  record.smtp = smtp;
  CHECK_OK(outreach_smtp_submit(smtp, mailbox, "mo@sender.example", "ann@one.example", message_data,
                                sizeof message_data - 1, 0, record_outcome, &record));
  CHECK_OK(outreach_smtp_submit(smtp, mailbox, "mo@sender.example", "bo@two.example", message_data,
                                sizeof message_data - 1, 0, record_outcome, &record));
  CHECK(record.calls == 0);
  CHECK_OK(outreach_smtp_flush(smtp));
  CHECK(record.calls == 2);
  CHECK(count_of(record.outcomes.data, "\"kind\":\"temporary\"") == 2);
  /* From a callback the client can be read, not used. */
  CHECK(record.reentry_status == OUTREACH_EBUSY);
  CHECK(record.connections_seen == 0);

  /* A failing callback: flush says so, once every message had its outcome. */
  record.result = 5;
  record.smtp = NULL;
  CHECK_OK(outreach_smtp_submit(smtp, mailbox, "", "cy@three.example", message_data, sizeof message_data - 1, 0,
                                record_outcome, &record));
  CHECK_OK(outreach_smtp_submit(smtp, mailbox, "", "di@four.example", message_data, sizeof message_data - 1, 0,
                                record_outcome, &record));
  CHECK_FAILS(outreach_smtp_flush(smtp), OUTREACH_ECALLBACK, "5");
  CHECK(record.calls == 4);

  CHECK_OK(outreach_smtp_connections_opened(smtp, &connections));
  CHECK(connections == 0);
  CHECK_OK(outreach_smtp_close(smtp));

  /* Messages still queued when the client is freed get their outcome then. */
  CHECK_OK(outreach_smtp_submit(smtp, mailbox, "", "ed@five.example", message_data, sizeof message_data - 1, 0,
                                record_outcome, &late));
  outreach_smtp_free(smtp);
  CHECK(late.calls == 1);
  CHECK(count_of(late.outcomes.data, "\"kind\":\"temporary\"") == 1);

  free(mailbox);
  buffer_free(&record.outcomes);
  buffer_free(&late.outcomes);
}

/* ---- engine options: versions 1 and 2, and the mailbox transport ------------------------- */

/* outreach_engine_options as a program built against the first version of the header has it. */
typedef struct {
  int version;
  int transport;
  const char *outbox_dir;
  const outreach_transport *custom_transport;
  unsigned int flags;
  outreach_log_fn log;
  void *log_user_data;
} engine_options_v1;

/* ... and against the second, before the IMAP callbacks. */
typedef struct {
  engine_options_v1 first;
  const char *smtp_settings;
  const outreach_smtp_callbacks *smtp_callbacks;
} engine_options_v2;

static void test_engine_options(void) {
  outreach_engine *engine = NULL;
  outreach_engine_options options;
  outreach_smtp_callbacks callbacks;
  /* Exactly the size of the old struct, on the heap: reading past it is caught by ASan. */
  engine_options_v1 *old = malloc(sizeof *old);
  if (!old) abort();

  memset(old, 0, sizeof *old);
  old->version = 1;
  old->transport = OUTREACH_TRANSPORT_DRY_RUN;
  CHECK_OK(outreach_engine_open(&engine, NULL, (const outreach_engine_options *)(const void *)old));
  outreach_engine_free(engine);
  old->transport = OUTREACH_TRANSPORT_MAILBOX; /* with the default SMTP settings */
  CHECK_OK(outreach_engine_open(&engine, NULL, (const outreach_engine_options *)(const void *)old));
  outreach_engine_free(engine);
  old->transport = OUTREACH_TRANSPORT_OUTBOX;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, (const outreach_engine_options *)(const void *)old),
              OUTREACH_EINVAL, "outbox_dir");
  free(old);

  {
    engine_options_v2 *second = malloc(sizeof *second);
    if (!second) abort();
    memset(second, 0, sizeof *second);
    second->first.version = 2;
    second->first.transport = OUTREACH_TRANSPORT_MAILBOX;
    second->smtp_settings = "{\"pipelining\": false}";
    CHECK_OK(outreach_engine_open(&engine, NULL, (const outreach_engine_options *)(const void *)second));
    outreach_engine_free(engine);
    free(second);
  }
  {
    outreach_imap_callbacks imap_callbacks;
    memset(&options, 0, sizeof options);
    memset(&imap_callbacks, 0, sizeof imap_callbacks);
    options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
    options.imap_callbacks = &imap_callbacks;
    CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "options.imap_callbacks: version 0");
    imap_callbacks.version = OUTREACH_IMAP_CALLBACKS_VERSION;
    options.flags = OUTREACH_ENGINE_NO_MAIL_READING | 8u;
    CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "unknown flags 8");
    options.flags = OUTREACH_ENGINE_NO_MAIL_READING;
    CHECK_OK(outreach_engine_open(&engine, NULL, &options));
    outreach_engine_free(engine);
  }

  memset(&options, 0, sizeof options);
  memset(&callbacks, 0, sizeof callbacks);
  options.version = 4;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "version 4");
  options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  CHECK(OUTREACH_ENGINE_OPTIONS_VERSION == 3);
  options.smtp_settings = "{}";
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "smtp_settings");
  options.smtp_settings = NULL;
  options.smtp_callbacks = &callbacks;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "smtp_callbacks");
  options.transport = OUTREACH_TRANSPORT_OUTBOX;
  options.outbox_dir = "outbox";
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "smtp_callbacks");

  options.transport = OUTREACH_TRANSPORT_MAILBOX;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "outbox_dir");
  options.outbox_dir = NULL;
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EINVAL, "version 0");
  callbacks.version = OUTREACH_SMTP_CALLBACKS_VERSION;
  options.smtp_settings = "{\"pipelining\": false, \"colour\": 1}";
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EUNKNOWNKEY, "colour");
  options.smtp_settings = "{\"timeouts\": ";
  CHECK_STATUS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EPARSE);
  options.smtp_settings = "\xfe";
  CHECK_FAILS(outreach_engine_open(&engine, NULL, &options), OUTREACH_EUTF8, "options.smtp_settings");
  CHECK(engine == NULL);
  options.smtp_settings = "{\"helo_name\": \"client.sender.example\", \"timeouts\": {\"connect\": {\"seconds\": 3}}}";
  CHECK_OK(outreach_engine_open(&engine, NULL, &options));
  outreach_engine_free(engine);
}

/* A three-lead, two-step campaign whose mailbox has the given JSON members. */
static char *campaign_json(const char *name, const char *mailbox_members) {
  return format(
      "{\"name\": \"%s\","
      " \"sequence\": {\"name\": \"two-step\", \"steps\": ["
      "   {\"variants\": [{\"subject\": \"Hello {{first_name}}\", \"text\": \"Hi {{first_name}},\\n.short note.\"}]},"
      "   {\"delay\": {\"days\": 1}, \"thread\": \"reply\", \"variants\": [{\"text\": \"Bumping this up.\"}]}]},"
      " \"leads\": [{\"email\": \"ann@one.example\", \"first_name\": \"Ann\"},"
      "            {\"email\": \"bo@two.example\", \"first_name\": \"Bo\"},"
      "            {\"email\": \"cy@three.example\", \"first_name\": \"Cy\"}],"
      " \"schedule\": {\"timezone\": \"UTC\", \"days\": [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"],"
      "              \"hours\": [\"00:00-24:00\"], \"start\": \"2026-12-01T00:00:00Z\"},"
      " \"mailboxes\": [{\"id\": \"mo\", \"from\": \"Mo Sender <mo@sender.example>\", \"daily_limit\": 50%s}]}",
      name, mailbox_members);
}

static int collect_event(const char *json_line, void *user_data) {
  buffer *events = user_data;
  buffer_add(events, json_line);
  buffer_add(events, "\n");
  return 0;
}

static outreach_engine *open_mailbox_engine(const char *settings, const outreach_smtp_callbacks *callbacks) {
  outreach_engine *engine = NULL;
  outreach_engine_options options;
  memset(&options, 0, sizeof options);
  options.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  options.transport = OUTREACH_TRANSPORT_MAILBOX;
  options.smtp_settings = settings;
  options.smtp_callbacks = callbacks;
  CHECK_OK(outreach_engine_open(&engine, NULL, &options));
  return engine;
}

/* Runs a campaign to its end; gives the event lines (free them). */
static char *simulate_json_campaign(outreach_engine *engine, const char *json) {
  outreach_campaign *campaign = NULL;
  buffer events = {NULL, 0, 0};
  const char *name = NULL;
  buffer_add(&events, "");
  CHECK_OK(outreach_campaign_from_json(&campaign, json, NULL));
  if (!campaign) return events.data;
  CHECK_OK(outreach_engine_set_event_callback(engine, collect_event, &events));
  CHECK_OK(outreach_campaign_name(campaign, &name));
  CHECK_OK(outreach_engine_add_campaign(engine, campaign));
  CHECK_OK(outreach_engine_start(engine, name));
  CHECK_OK(outreach_engine_simulate(engine, NULL, NULL));
  outreach_campaign_free(campaign);
  return events.data;
}

/* An outbox: mailbox needs no SMTP: its messages go into that Maildir. */
static void test_mailbox_transport_outbox(void) {
  char *dir = make_temp_dir("/tmp/outreach-capi-smtp");
  char *members = format(", \"transport\": \"outbox:%s/sent\"", dir);
  char *json = campaign_json("outboxed", members);
  char *no_transport = campaign_json("nowhere", "");
  outreach_engine *engine = open_mailbox_engine(NULL, NULL);
  outreach_campaign *campaign = NULL;
  char *events = simulate_json_campaign(engine, json);
  char *listing = format("%s/sent/new", dir);

  CHECK(count_of(events, "\"type\":\"sent\"") == 6);
  CHECK(count_entries(listing) == 6);

  /* A mailbox without a transport cannot send through the mailbox transport. */
  CHECK_OK(outreach_campaign_from_json(&campaign, no_transport, NULL));
  CHECK_FAILS(outreach_engine_add_campaign(engine, campaign), OUTREACH_EVALUE, "transport");

  outreach_campaign_free(campaign);
  outreach_engine_free(engine);
  free(events);
  free(listing);
  free(json);
  free(no_transport);
  free(members);
  remove_tree(dir);
  free(dir);
}

/* ---- against a real server ---------------------------------------------------------------- */

static int test_send_to_server(void) {
  sink server;
  outreach_smtp *smtp = NULL;
  outreach_smtp_callbacks callbacks;
  login_record trace;
  done_record record;
  char *mailbox;
  char *outcome = NULL;
  char *data;
  char *envelope;
  size_t connections = 0;
  const int started = start_sink(&server, NULL);
  if (started != 0) return started;
  memset(&trace, 0, sizeof trace);
  memset(&record, 0, sizeof record);
  memset(&callbacks, 0, sizeof callbacks);
  callbacks.version = OUTREACH_SMTP_CALLBACKS_VERSION;
  callbacks.trace = keep_trace;
  callbacks.user_data = &trace;
  mailbox = mailbox_json(server.port, NULL);

  CHECK_OK(outreach_smtp_open(&smtp, "{\"helo_name\": \"client.sender.example\", \"connections_per_mailbox\": 2}",
                              &callbacks));
  CHECK_OK(outreach_smtp_send(smtp, mailbox, "mo@sender.example", "ann@one.example", message_data,
                              sizeof message_data - 1, 0, &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"accepted\"");
  CHECK_CONTAINS(outcome, "\"code\":250");
  CHECK_CONTAINS(outcome, "Q1");
  outreach_string_free(outcome);
  data = received(&server, 1, ".eml");
  envelope = received(&server, 1, ".json");
  CHECK(data && strncmp(data, message_data, sizeof message_data - 3) == 0); /* as sent, dot-stuffing undone */
  CHECK_CONTAINS(envelope, "\"mail_from\": \"mo@sender.example\"");
  CHECK_CONTAINS(envelope, "\"rcpt_tos\": [\"ann@one.example\"]");
  free(data);
  free(envelope);
  CHECK_CONTAINS(trace.trace.data, "C: EHLO client.sender.example");
  CHECK_CONTAINS(trace.trace.data, "S: 250");
  CHECK(!contains(trace.trace.data, "Hi Ann")); /* message data is not traced */

  /* Many messages: pipelined over at most two connections, each outcome through its callback. */
  {
    int i;
    for (i = 0; i < 6; ++i) {
      CHECK_OK(outreach_smtp_submit(smtp, mailbox, "mo@sender.example", i % 2 ? "bo@two.example" : "cy@three.example",
                                    message_data, sizeof message_data - 1, 0, record_outcome, &record));
    }
  }
  CHECK_OK(outreach_smtp_flush(smtp));
  CHECK(record.calls == 6);
  CHECK(count_of(record.outcomes.data, "\"kind\":\"accepted\"") == 6);
  CHECK(count_files(server.dir, ".eml") == 7);
  CHECK_OK(outreach_smtp_connections_opened(smtp, &connections));
  CHECK(connections >= 1 && connections <= 3);

  /* The null reverse path, and an IDNA domain written as UTF-8. */
  CHECK_OK(outreach_smtp_send(smtp, mailbox, "", "ann@bücher.example", message_data, sizeof message_data - 1, 0,
                              &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"accepted\"");
  outreach_string_free(outcome);
  envelope = received(&server, 8, ".json");
  CHECK_CONTAINS(envelope, "\"mail_from\": \"<>\"");  /* how aiosmtpd writes the null reverse path */
  CHECK_CONTAINS(envelope, "ann@xn--bcher-kva.example");
  free(envelope);

  /* After close, a send opens a new connection. */
  CHECK_OK(outreach_smtp_close(smtp));
  CHECK_CONTAINS(trace.trace.data, "C: QUIT");
  CHECK_OK(outreach_smtp_send(smtp, mailbox, "mo@sender.example", "ann@one.example", message_data,
                              sizeof message_data - 1, 0, &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"accepted\"");
  outreach_string_free(outcome);
  {
    size_t after = 0;
    CHECK_OK(outreach_smtp_connections_opened(smtp, &after));
    CHECK(after == connections + 1);
  }
  CHECK(count_files(server.dir, ".eml") == 9);

  outreach_smtp_free(smtp);
  free(mailbox);
  buffer_free(&record.outcomes);
  buffer_free(&trace.trace);
  buffer_free(&trace.mechanisms);
  stop_sink(&server);
  return 0;
}

static int test_login_to_server(void) {
  static const char secret[] = "s3cret-Pa55";
  sink server;
  outreach_smtp *smtp = NULL;
  outreach_smtp_callbacks callbacks;
  login_record login;
  char *plain = NULL;
  char *by_login = NULL;
  char *outcome = NULL;
  const int started = start_sink(&server, "mo:s3cret-Pa55");
  if (started != 0) return started;
  memset(&login, 0, sizeof login);
  memset(&callbacks, 0, sizeof callbacks);
  callbacks.version = OUTREACH_SMTP_CALLBACKS_VERSION;
  callbacks.credentials = give_login;
  callbacks.trace = keep_trace;
  callbacks.user_data = &login;
  plain = mailbox_json(server.port, ", \"username\": \"mo\", \"auth\": \"plain\"");
  by_login = mailbox_json(server.port, ", \"username\": \"mo\", \"auth\": \"login\"");
  CHECK_OK(outreach_smtp_open(&smtp, NULL, &callbacks));

  login.secret = secret;
  CHECK_OK(outreach_smtp_send(smtp, plain, "mo@sender.example", "ann@one.example", message_data,
                              sizeof message_data - 1, 0, &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"accepted\"");
  outreach_string_free(outcome);
  CHECK_CONTAINS(login.mechanisms.data, "plain");
  CHECK_CONTAINS(login.trace.data, "AUTH PLAIN");
  CHECK_CONTAINS(login.trace.data, "<redacted>");
  CHECK_OK(outreach_smtp_close(smtp));

  login.username = "mo"; /* given by the callback this time */
  CHECK_OK(outreach_smtp_send(smtp, by_login, "mo@sender.example", "ann@one.example", message_data,
                              sizeof message_data - 1, 0, &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"accepted\"");
  outreach_string_free(outcome);
  CHECK_CONTAINS(login.mechanisms.data, "login");
  CHECK_OK(outreach_smtp_close(smtp));

  /* A wrong password is a temporary failure that never shows the secret. */
  login.secret = "wrong-Pa55word";
  CHECK_OK(outreach_smtp_send(smtp, plain, "mo@sender.example", "ann@one.example", message_data,
                              sizeof message_data - 1, 0, &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"temporary\"");
  CHECK(!contains(outcome, "wrong-Pa55word"));
  outreach_string_free(outcome);
  CHECK_OK(outreach_smtp_close(smtp));

  /* A callback that has no login (on a new client: after a refused login, the client holds
     back the mailbox's messages for a while). */
  outreach_smtp_free(smtp);
  CHECK_OK(outreach_smtp_open(&smtp, NULL, &callbacks));
  login.fail = 1;
  CHECK_OK(outreach_smtp_send(smtp, plain, "mo@sender.example", "ann@one.example", message_data,
                              sizeof message_data - 1, 0, &outcome));
  CHECK_CONTAINS(outcome, "\"kind\":\"temporary\"");
  CHECK_CONTAINS(outcome, "credentials callback");
  outreach_string_free(outcome);

  CHECK(!contains(login.trace.data, secret));
  CHECK(!contains(login.trace.data, "wrong-Pa55word"));
  CHECK(count_files(server.dir, ".eml") == 2);

  outreach_smtp_free(smtp);
  free(plain);
  free(by_login);
  buffer_free(&login.mechanisms);
  buffer_free(&login.trace);
  stop_sink(&server);
  return 0;
}

/* The engine sends a campaign through a mailbox whose transport is the server: what arrives is
   what the event log says was sent. */
static int test_engine_to_server(void) {
  sink server;
  outreach_engine *engine;
  char *members;
  char *json;
  char *events;
  size_t sent;
  size_t number;
  const int started = start_sink(&server, NULL);
  if (started != 0) return started;
  members = format(", \"transport\": \"smtp://127.0.0.1:%d\", \"security\": \"none\"", server.port);
  json = campaign_json("to-the-sink", members);
  engine = open_mailbox_engine("{\"timeouts\": {\"command\": {\"seconds\": 20}}}", NULL);
  events = simulate_json_campaign(engine, json);

  sent = count_of(events, "\"type\":\"sent\"");
  CHECK(sent == 6);
  CHECK(count_of(events, "\"type\":\"deferred\"") == 0);
  CHECK(count_files(server.dir, ".eml") == sent);
  for (number = 1; number <= sent; ++number) {
    char *data = received(&server, number, ".eml");
    char *envelope = received(&server, number, ".json");
    const char *id = data ? strstr(data, "Message-ID: ") : NULL;
    CHECK(id != NULL);
    if (id) {
      char *event_id = format("\"message_id\":\"%.*s\"", (int)strcspn(id + 12, "\r\n"), id + 12);
      CHECK_CONTAINS(events, event_id);
      free(event_id);
    }
    CHECK_CONTAINS(envelope, "\"mail_from\": \"mo@sender.example\"");
    free(data);
    free(envelope);
  }

  outreach_engine_free(engine);
  free(events);
  free(json);
  free(members);
  stop_sink(&server);
  return 0;
}

/* ---- main ----------------------------------------------------------------------------------- */


static const test_case cases[] = {
    {"settings", test_settings, NULL},
    {"send_arguments", test_send_arguments, NULL},
    {"unreachable_server", test_unreachable_server, NULL},
    {"engine_options", test_engine_options, NULL},
    {"mailbox_transport_outbox", test_mailbox_transport_outbox, NULL},
    {"send_to_server", NULL, test_send_to_server},
    {"login_to_server", NULL, test_login_to_server},
    {"engine_to_server", NULL, test_engine_to_server},
};

int main(int argc, char **argv) { return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv); }
