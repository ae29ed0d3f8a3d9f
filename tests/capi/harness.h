/* The harness the C interface's test programs share: checks that count failures and say
   where, growing strings, and running the cases named on the command line. */
#ifndef OUTREACH_CAPI_TEST_HARNESS_H
#define OUTREACH_CAPI_TEST_HARNESS_H

#include <outreach.h>

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* `text` contains `needle`; says what it was otherwise. */
#define CHECK_CONTAINS(text, needle)                                                                     \
  do {                                                                                                   \
    const char *text_ = (text);                                                                          \
    if (!text_ || !strstr(text_, (needle))) {                                                            \
      fprintf(stderr, "%s:%d: \"%s\" is not in %s: %s\n", __FILE__, __LINE__, (needle), #text,           \
              text_ ? text_ : "(null)");                                                                 \
      ++failures;                                                                                        \
    }                                                                                                    \
  } while (0)

/* `json` is exactly `expected`; says what it was otherwise. */
#define CHECK_JSON(json, expected)                                                                  \
  do {                                                                                              \
    const char *json_ = (json);                                                                     \
    if (!json_ || strcmp(json_, (expected)) != 0) {                                                 \
      fprintf(stderr, "%s:%d: %s is %s, expected %s\n", __FILE__, __LINE__, #json, json_ ? json_ : "NULL", \
              (expected));                                                                          \
      ++failures;                                                                                   \
    }                                                                                               \
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

/* The source tree (OUTREACH_SOURCE_DIR), or the working directory. */
static inline const char *source_dir(void) {
  const char *dir = getenv("OUTREACH_SOURCE_DIR");
  return dir && *dir ? dir : ".";
}

/* A whole file (free the result), or NULL when it cannot be read. */
static inline char *read_text(const char *path) {
  FILE *file = fopen(path, "rb");
  buffer b = {NULL, 0, 0};
  char chunk[4096];
  size_t got;
  if (!file) return NULL;
  buffer_add(&b, "");
  while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) buffer_append(&b, chunk, got);
  fclose(file);
  return b.data;
}

/* Writes `size` bytes to a file (replacing it); 0 when done. */
static inline int write_bytes(const char *path, const char *data, size_t size) {
  FILE *file = fopen(path, "wb");
  int status;
  if (!file) return -1;
  status = fwrite(data, 1, size, file) == size ? 0 : -1;
  if (fclose(file) != 0) status = -1;
  return status;
}

static inline int write_text(const char *path, const char *text) { return write_bytes(path, text, strlen(text)); }

/* A new empty folder named `prefix-XXXXXX` (free the result; remove it with remove_tree). */
static inline char *make_temp_dir(const char *prefix) {
  char *path = format("%s-XXXXXX", prefix);
  if (!mkdtemp(path)) {
    fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
    abort();
  }
  return path;
}

static inline int remove_entry(const char *path, const struct stat *info, int flag, struct FTW *walk) {
  (void)info;
  (void)flag;
  (void)walk;
  return remove(path);
}

/* Removes a folder and everything in it. */
static inline void remove_tree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

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
