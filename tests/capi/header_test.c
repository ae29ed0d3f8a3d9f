/* outreach.h compiles as C99 with -Wall -Wextra -pedantic -Werror, first and alone in a
   translation unit, and twice (its include guard); the program then checks that the header and
   the library it links agree on the version, and that the C++ view of the header agrees too. */
#include <outreach.h>
#include <outreach.h>

#include <stdio.h>
#include <string.h>

int outreach_header_test_cpp(void);

/* Every type and constant of the header, used once, so that a typo in any of them fails here. */
static int send_nothing(const char *mailbox_id, const char *envelope_from, const char *envelope_to,
                        const char *message_id, const char *data, size_t size, int requires_smtputf8,
                        outreach_send_outcome *outcome, void *user_data) {
  (void)mailbox_id; (void)envelope_from; (void)envelope_to; (void)message_id; (void)data; (void)size;
  (void)requires_smtputf8; (void)user_data;
  outcome->kind = OUTREACH_SEND_ACCEPTED;
  return 0;
}

static void log_nothing(int level, const char *message, void *user_data) {
  (void)level; (void)message; (void)user_data;
}

static int take_event(const char *json_line, void *user_data) {
  (void)json_line; (void)user_data;
  return 0;
}

static int no_credentials(const char *mailbox_id, const char *mechanism, int refresh,
                          outreach_smtp_credentials *credentials, void *user_data) {
  (void)mailbox_id; (void)mechanism; (void)refresh; (void)user_data;
  credentials->username = NULL;
  credentials->secret = NULL;
  return 1;
}

static void trace_nothing(const char *line, void *user_data) {
  (void)line; (void)user_data;
}

static int take_outcome(const char *outcome_json, void *user_data) {
  (void)outcome_json; (void)user_data;
  return 0;
}

int main(void) {
  static const int codes[] = {OUTREACH_OK, OUTREACH_EINVAL, OUTREACH_EPARSE, OUTREACH_EVALUE,
                              OUTREACH_EUNKNOWNKEY, OUTREACH_EMISSINGFIELD, OUTREACH_EUTF8, OUTREACH_ELIMIT,
                              OUTREACH_EIO, OUTREACH_ENOTFOUND, OUTREACH_EUNAVAILABLE, OUTREACH_ETEMPFAIL,
                              OUTREACH_EPERMFAIL, OUTREACH_EINTERNAL, OUTREACH_ENOMEM, OUTREACH_ECALLBACK,
                              OUTREACH_EUNSUPPORTED, OUTREACH_EBUSY};
  outreach_transport transport = {OUTREACH_TRANSPORT_VERSION, 1, send_nothing, NULL};
  outreach_engine_options options = {OUTREACH_ENGINE_OPTIONS_VERSION, OUTREACH_TRANSPORT_CUSTOM, NULL, NULL,
                                     OUTREACH_ENGINE_DISCARD_EVENTS, log_nothing, NULL, NULL, NULL, NULL};
  outreach_smtp_callbacks smtp_callbacks = {OUTREACH_SMTP_CALLBACKS_VERSION, no_credentials, trace_nothing, NULL};
  outreach_imap_callbacks imap_callbacks = {OUTREACH_IMAP_CALLBACKS_VERSION, no_credentials, trace_nothing, NULL};
  outreach_imap *imap = NULL;
  outreach_smtp_done_fn done = take_outcome;
  outreach_smtp *smtp = NULL;
  size_t connections = 1;
  outreach_send_outcome outcome = {OUTREACH_SEND_TEMPORARY, 421, "4.3.0", "later", NULL};
  outreach_event_fn event = take_event;
  outreach_sequence *sequence = NULL;
  outreach_campaign *campaign = NULL;
  outreach_engine *engine = NULL;
  outreach_store_reader *reader = NULL;
  size_t i;
  int levels = OUTREACH_LOG_ERROR + OUTREACH_LOG_WARNING + OUTREACH_LOG_INFO;
  int kinds = OUTREACH_SEND_PERMANENT + OUTREACH_TRANSPORT_DRY_RUN + OUTREACH_TRANSPORT_OUTBOX;
  int mailbox_transport = OUTREACH_TRANSPORT_MAILBOX;

  options.custom_transport = &transport;
  for (i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
    if (strcmp(outreach_strerror(codes[i]), "unknown") == 0) {
      printf("status code %d has no name\n", codes[i]);
      return 1;
    }
  }
  if (outreach_version_number() != OUTREACH_VERSION_NUMBER) {
    printf("header %d, library %d\n", OUTREACH_VERSION_NUMBER, outreach_version_number());
    return 1;
  }
  if (outreach_engine_open(&engine, NULL, &options) != OUTREACH_OK) {
    printf("outreach_engine_open: %s\n", outreach_last_error());
    return 1;
  }
  if (outreach_engine_set_event_callback(engine, event, NULL) != OUTREACH_OK) return 1;
  outreach_engine_free(engine);
  if (outreach_smtp_open(&smtp, "{\"pipelining\": true}", &smtp_callbacks) != OUTREACH_OK) {
    printf("outreach_smtp_open: %s\n", outreach_last_error());
    return 1;
  }
  if (outreach_smtp_connections_opened(smtp, &connections) != OUTREACH_OK || connections != 0) return 1;
  if (outreach_smtp_flush(smtp) != OUTREACH_OK || outreach_smtp_close(smtp) != OUTREACH_OK) return 1;
  outreach_smtp_free(smtp);
  if (outreach_store_reader_open(&reader, "no-such-store.db") != OUTREACH_ENOTFOUND || reader != NULL) return 1;
  outreach_store_reader_free(reader);
  options.imap_callbacks = &imap_callbacks;
  options.flags |= OUTREACH_ENGINE_NO_MAIL_READING;
  if (outreach_engine_open(&engine, NULL, &options) != OUTREACH_OK) {
    printf("outreach_engine_open with IMAP callbacks: %s\n", outreach_last_error());
    return 1;
  }
  outreach_engine_free(engine);
  /* No imap settings: refused at once, before any connection. */
  if (outreach_imap_open(&imap, "{\"id\": \"m1\", \"from\": \"m1@acme.example\"}", &imap_callbacks) !=
          OUTREACH_EVALUE ||
      imap != NULL) {
    return 1;
  }
  outreach_imap_free(imap);
  (void)done;
  outreach_campaign_free(campaign);
  outreach_sequence_free(sequence);
  (void)outcome;
  if (levels != 6 || kinds != 3 || mailbox_transport != 3) return 1;
  return outreach_header_test_cpp();
}
