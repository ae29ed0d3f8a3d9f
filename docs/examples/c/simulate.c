/* Simulates a campaign through the C interface of outreach.

   Loads a campaign file (by default the example in docs/examples/saas-founders), runs it on a
   virtual clock from its schedule's start until every lead has ended, through a transport of
   our own that only counts the messages it is given, and prints the summary JSON (the same as
   `outreach simulate --json`), the number of events and the number of messages.

   Build:  cc -std=c99 simulate.c -I$PREFIX/include -L$PREFIX/lib -loutreach_c -o simulate
           (or, with CMake: find_package(outreach) and target_link_libraries(app outreach::c))
   Run:    ./simulate docs/examples/saas-founders/campaign.json */
#include <outreach.h>

#include <stdio.h>

/* What the transport keeps between calls: reached through `user_data`. */
struct counter {
  size_t messages;
  size_t bytes;
};

/* The transport's send callback: takes every message (as a server answering 250 would). */
static int count_message(const char *mailbox_id, const char *envelope_from, const char *envelope_to,
                         const char *message_id, const char *data, size_t size, int requires_smtputf8,
                         outreach_send_outcome *outcome, void *user_data) {
  struct counter *counter = user_data;
  (void)mailbox_id;
  (void)envelope_from;
  (void)envelope_to;
  (void)message_id;
  (void)data;
  (void)requires_smtputf8;
  counter->messages += 1;
  counter->bytes += size;
  outcome->kind = OUTREACH_SEND_ACCEPTED;
  outcome->code = 250;
  return 0; /* non-zero would mean "this callback failed": a temporary failure, tried again */
}

/* Warnings (such as an unsubscribe secret that is not set) go to standard error. */
static void print_log(int level, const char *message, void *user_data) {
  (void)user_data;
  fprintf(stderr, "simulate: %s: %s\n", level == OUTREACH_LOG_ERROR ? "error" : "warning", message);
}

/* Says why a call failed, with the library's own message. */
static int report(const char *what, int status) {
  fprintf(stderr, "simulate: %s: %s (%s)\n", what, outreach_last_error(), outreach_strerror(status));
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "docs/examples/saas-founders/campaign.json";
  struct counter counter = {0, 0};
  outreach_transport transport = {OUTREACH_TRANSPORT_VERSION, 1, count_message, NULL};
  outreach_engine_options options = {OUTREACH_ENGINE_OPTIONS_VERSION, OUTREACH_TRANSPORT_CUSTOM, NULL, NULL, 0,
                                     print_log, NULL, NULL, NULL, NULL};
  outreach_campaign *campaign = NULL;
  outreach_engine *engine = NULL;
  const char *name = NULL;
  char *problems = NULL;
  char *summary = NULL;
  size_t events = 0;
  int status;
  int exit_code = 1;

  if (outreach_version_number() != OUTREACH_VERSION_NUMBER) {
    fprintf(stderr, "simulate: built with outreach %d, running with %s\n", OUTREACH_VERSION_NUMBER,
            outreach_version());
    return 1;
  }

  /* The campaign, with its sequence and leads. Rows of the lead list that are not leads are
     left out and reported, not fatal. */
  if ((status = outreach_campaign_load(&campaign, path)) != OUTREACH_OK) return report(path, status);
  if (outreach_campaign_lead_problems(campaign, &problems) == OUTREACH_OK && problems[1] != ']') {
    fprintf(stderr, "simulate: lead rows left out: %s\n", problems);
  }
  outreach_string_free(problems);
  outreach_campaign_name(campaign, &name);

  /* An engine in memory (store_path NULL) sending through our transport. */
  transport.user_data = &counter;
  options.custom_transport = &transport;
  if ((status = outreach_engine_open(&engine, NULL, &options)) != OUTREACH_OK) {
    report("outreach_engine_open", status);
    goto done;
  }
  if ((status = outreach_engine_add_campaign(engine, campaign)) != OUTREACH_OK) {
    report("outreach_engine_add_campaign", status);
    goto done;
  }
  if ((status = outreach_engine_start(engine, name)) != OUTREACH_OK) {
    report("outreach_engine_start", status);
    goto done;
  }
  /* From the schedule's start (from = NULL) until nothing is left to do (until = NULL). */
  if ((status = outreach_engine_simulate(engine, NULL, NULL)) != OUTREACH_OK) {
    report("outreach_engine_simulate", status);
    goto done;
  }

  if ((status = outreach_engine_summary(engine, &summary)) != OUTREACH_OK) {
    report("outreach_engine_summary", status);
    goto done;
  }
  if ((status = outreach_engine_event_count(engine, &events)) != OUTREACH_OK) {
    report("outreach_engine_event_count", status);
    goto done;
  }
  printf("%s\n", summary);
  printf("events: %lu\n", (unsigned long)events);
  printf("messages: %lu\n", (unsigned long)counter.messages);
  exit_code = 0;

done:
  outreach_string_free(summary);
  outreach_engine_free(engine); /* engine first: it no longer needs the counter */
  outreach_campaign_free(campaign);
  return exit_code;
}
