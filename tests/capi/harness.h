/* The harness the C interface's test programs share: checks that count failures and say
   where, growing strings, and running the cases named on the command line. */
#ifndef OUTREACH_CAPI_TEST_HARNESS_H
#define OUTREACH_CAPI_TEST_HARNESS_H

#include <outreach.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(condition)                                                                              \
  do {                                                                                                \
    if (!(condition)) {                                                                               \
      fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, __LINE__, #condition, \
              outreach_last_error());                                                                 \
      ++failures;                                                                                     \
    }                                                                                                 \
  } while (0)

#define CHECK_STATUS(expression, expected)                                                             \
  do {                                                                                                 \
    const int status_ = (expression);                                                                  \
    if (status_ != (expected)) {                                                                       \
      fprintf(stderr, "%s:%d: %s gave %d (%s), expected %d (%s); last error: %s\n", __FILE__, __LINE__, \
              #expression, status_, outreach_strerror(status_), (expected), outreach_strerror(expected),  \
              outreach_last_error());                                                                  \
      ++failures;                                                                                      \
    }                                                                                                  \
  } while (0)

#define CHECK_OK(expression) CHECK_STATUS(expression, OUTREACH_OK)

/* The call failed with `expected`, and the message names `needle`. */
#define CHECK_FAILS(expression, expected, needle)                                     \
  do {                                                                               \
    CHECK_STATUS(expression, expected);                                              \
    if (!strstr(outreach_last_error(), (needle))) {                                  \
      fprintf(stderr, "%s:%d: the message of %s does not name \"%s\": %s\n", __FILE__, \
              __LINE__, #expression, (needle), outreach_last_error());               \
      ++failures;                                                                    \
    }                                                                                \
  } while (0)

static inline int contains(const char *text, const char *needle) { return text && strstr(text, needle) != NULL; }

static inline size_t count_of(const char *text, const char *needle) {
  size_t count = 0;
  const size_t length = strlen(needle);
  while (text && (text = strstr(text, needle)) != NULL) {
    ++count;
    text += length;
  }
  return count;
}

/* ---- growing strings, files, paths ------------------------------------------------------ */

typedef struct {
  char *data;
  size_t size;
  size_t capacity;
} buffer;

static inline void buffer_append(buffer *b, const char *text, size_t size) {
  if (b->size + size + 1 > b->capacity) {
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < b->size + size + 1) capacity *= 2;
    b->data = realloc(b->data, capacity);
    if (!b->data) abort();
    b->capacity = capacity;
  }
  memcpy(b->data + b->size, text, size);
  b->size += size;
  b->data[b->size] = '\0';
}

static inline void buffer_add(buffer *b, const char *text) { buffer_append(b, text, strlen(text)); }

static inline void buffer_free(buffer *b) {
  free(b->data);
  b->data = NULL;
  b->size = b->capacity = 0;
}

static inline char *format(const char *pattern, ...) {
  va_list args;
  va_list again;
  int size;
  char *text;
  va_start(args, pattern);
  va_copy(again, args);
  size = vsnprintf(NULL, 0, pattern, args);
  va_end(args);
  text = malloc((size_t)size + 1);
  if (!text) abort();
  vsnprintf(text, (size_t)size + 1, pattern, again);
  va_end(again);
  return text;
}

/* ---- cases ------------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  void (*run)(void);
  int (*run_or_skip)(void);
} test_case;

static inline int run_case(const test_case *c) {
  int status = 0;
  const int before = failures;
  if (c->run) {
    c->run();
  } else {
    status = c->run_or_skip();
  }
  if (failures != before) {
    fprintf(stderr, "%s: %d failed checks\n", c->name, failures - before);
    return 1;
  }
  printf("%s: %s\n", c->name, status == 77 ? "skipped" : "ok");
  return status;
}

/* Runs the case named on the command line, or every case: 0 when all passed, 1 when a check
   failed, 77 when a case (or, alone, every case run) was skipped, 2 for a wrong command line. */
static inline int run_cases(const test_case *cases, size_t count, int argc, char **argv) {
  size_t i;
  int result = 0;
  if (argc > 2) {
    fprintf(stderr, "usage: %s [CASE]\n", argv[0]);
    return 2;
  }
  for (i = 0; i < count; ++i) {
    if (argc == 2 && strcmp(argv[1], cases[i].name) != 0) continue;
    {
      const int status = run_case(&cases[i]);
      if (status == 1 || (status == 77 && result == 0)) result = status;
    }
    if (argc == 2) return result;
  }
  if (argc == 2) {
    fprintf(stderr, "no test case named %s\n", argv[1]);
    return 2;
  }
  return result == 77 ? 0 : result;
}

#endif
