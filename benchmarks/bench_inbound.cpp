// Reading received mail: the corpus of received messages the classifier is tested on
// (tests/data/inbound/**/*.eml: bounces, auto-replies, replies, unsubscribe requests, complaints,
// and mail that is none of these) read over and over by
//
//   - outreach::parse_message alone (every part's transfer encoding removed, text converted to
//     UTF-8);
//   - parse_message + readable_text (the text a person would read first);
//   - parse_message + classify, which reads the readable text itself (once), as ingest does;
//
// against Python's email package in the same run (inbound_peer.py, Debian's /usr/bin/python3):
// email.message_from_bytes(raw, policy=email.policy.default), every part walked, the content of
// every text part decoded with get_content() ("text"), and, closer still to what parse_message
// does, every other leaf part decoded too ("all"). Then the same for one large message (5 MB by
// default: an HTML part of about 1 MB, quoted-printable, and a base64 PDF attachment; no
// text/plain, so readable_text converts the HTML).
//
// Each measurement repeats passes over its messages for --seconds of wall-clock time; rounds take
// turns (ours, then the peer, then the next) and the medians of the rounds are compared. Rates
// are per wall-clock second, with the CPU time (user + system) beside them; MB is 10^6 bytes of
// raw message. The peer times itself, so the interpreter's start is not counted.
//
//   bench_inbound [--seconds S] [--rounds R] [--large-mb M] [--python PATH] [--peer-script PATH]
//                 [--corpus DIR] [--only corpus|large]
//
// Defaults: 3 s per measurement, 3 rounds, a 5 MB large message, /usr/bin/python3,
// inbound_peer.py beside this file, the corpus of this source tree.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench_process.hpp"
#include "outreach/classify.hpp"
#include "outreach/mime.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// One measurement: how many messages (and bytes of them) were read in how much time.
struct Measurement {
  std::size_t messages = 0;
  std::size_t bytes = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  std::string failure;  // non-empty: the figure is meaningless

  [[nodiscard]] bool ok() const { return failure.empty() && messages > 0 && seconds > 0 && cpu_seconds > 0; }
  [[nodiscard]] double per_second() const { return static_cast<double>(messages) / seconds; }
  [[nodiscard]] double mb_per_second() const { return static_cast<double>(bytes) / 1e6 / seconds; }
  [[nodiscard]] double per_cpu_second() const { return static_cast<double>(messages) / cpu_seconds; }
  [[nodiscard]] double cpu_us_per_message() const { return cpu_seconds * 1e6 / static_cast<double>(messages); }
};

std::size_t total_bytes(const std::vector<std::string>& messages) {
  std::size_t bytes = 0;
  for (const auto& message : messages) bytes += message.size();
  return bytes;
}

// Passes over `messages`, `read` called on each, until `seconds` of wall-clock time have passed
// (at least one pass). `read` returns a number derived from what it read (summed, so that the
// work cannot be left out), or -1 on a failure.
template <class Read>
Measurement measure_ours(const std::vector<std::string>& messages, double seconds, Read&& read) {
  Measurement result;
  const std::size_t pass_bytes = total_bytes(messages);
  std::size_t checksum = 0;
  const double cpu_start = bench::own_cpu_seconds();
  const auto start = Clock::now();
  do {
    for (const auto& raw : messages) {
      const long got = read(raw);
      if (got < 0) {
        result.failure = "a message of " + std::to_string(raw.size()) + " bytes was refused";
        return result;
      }
      checksum += static_cast<std::size_t>(got);
    }
    result.messages += messages.size();
    result.bytes += pass_bytes;
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  } while (result.seconds < seconds);
  result.cpu_seconds = bench::own_cpu_seconds() - cpu_start;
  if (checksum == 0) result.failure = "nothing was read";
  return result;
}

long parse_only(const std::string& raw) {
  const auto message = outreach::parse_message(raw);
  if (!message) return -1;
  return static_cast<long>(message->headers.size() + message->parts.size() + message->body.size()) + 1;
}

long parse_and_read(const std::string& raw) {
  const auto message = outreach::parse_message(raw);
  if (!message) return -1;
  return static_cast<long>(outreach::readable_text(*message).size() + message->headers.size()) + 1;
}

long parse_and_classify(const std::string& raw, const outreach::ClassifyContext& context) {
  const auto message = outreach::parse_message(raw);
  if (!message) return -1;
  const outreach::Classification found = outreach::classify(*message, context);
  return static_cast<long>(found.type) + static_cast<long>(found.evidence.size()) + 1;
}

// The peer's messages: for each, "LENGTH\n" and the bytes.
bool write_messages_file(const fs::path& path, const std::vector<std::string>& messages) {
  std::ofstream stream(path, std::ios::binary);
  for (const auto& message : messages) stream << message.size() << '\n' << message;
  return static_cast<bool>(stream.flush());
}

struct PeerResult {
  Measurement measurement;
  unsigned long parts = 0;  // parts walked in one pass
};

PeerResult measure_peer(const fs::path& python, const fs::path& script, const fs::path& messages_file, double seconds,
                        const char* mode, const fs::path& directory) {
  PeerResult peer;
  const bench::ProcessResult result = bench::run_process(
      {python.string(), script.string(), messages_file.string(), std::to_string(seconds), mode},
      directory / "inbound-peer.out");
  unsigned long messages = 0;
  unsigned long bytes = 0;
  Measurement& measurement = peer.measurement;
  const int parsed = std::sscanf(result.output.c_str(), "messages=%lu bytes=%lu seconds=%lf cpu=%lf parts=%lu",
                                 &messages, &bytes, &measurement.seconds, &measurement.cpu_seconds, &peer.parts);
  measurement.messages = messages;
  measurement.bytes = bytes;
  if (parsed != 5 || result.exit_status != 0) {
    measurement.failure = "inbound_peer.py exit status " + std::to_string(result.exit_status) + ": " + result.errors;
  }
  return peer;
}

// Parts in the tree, the message itself included: Python's walk() visits the same nodes (an
// enclosed message/rfc822 part and then the message in it).
std::size_t count_parts(const outreach::MimePart& part) {
  std::size_t count = 1;
  for (const auto& child : part.parts) count += count_parts(child);
  return count;
}

// --- The large message -------------------------------------------------------------------------

// A deterministic stream of bytes standing in for a compressed attachment (PDF streams are).
class Bytes {
 public:
  std::uint8_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<std::uint8_t>(state_ >> 24);
  }

 private:
  std::uint64_t state_ = 0x9E3779B97F4A7C15ULL;
};

void append_base64(std::string& out, std::size_t binary_bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Bytes source;
  std::size_t column = 0;
  for (std::size_t i = 0; i < binary_bytes; i += 3) {
    const std::size_t left = std::min<std::size_t>(3, binary_bytes - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k) group = (group << 8) | (k < left ? source.next() : 0U);
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += left > 1 ? alphabet[(group >> 6) & 63] : '=';
    out += left > 2 ? alphabet[group & 63] : '=';
    column += 4;
    if (column == 76) {
      out += "\r\n";
      column = 0;
    }
  }
  if (column != 0) out += "\r\n";
}

// Quoted-printable (RFC 2045 section 6.7) of UTF-8 text with LF line ends, lines at most 76.
void append_quoted_printable(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::size_t column = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\r\n";
      column = 0;
      continue;
    }
    const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\n';
    const bool literal = (c >= 33 && c <= 126 && c != '=') || (c == ' ' && !at_line_end);
    const std::size_t width = literal ? 1 : 3;
    if (column + width > 75) {
      out += "=\r\n";
      column = 0;
    }
    if (literal) {
      out += static_cast<char>(c);
    } else {
      out += '=';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
    column += width;
  }
  out += "\r\n";
}

// An HTML newsletter-style reply of about `bytes`: nested tables, inline styles, entities, links,
// accented text.
std::string long_html(std::size_t bytes) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Quarterly review</title>\n"
      "<style>td{font-family:Arial,sans-serif;font-size:14px}</style></head>\n<body>\n"
      "<p>Hi Alice,</p>\n<p>Thanks for reaching out &mdash; our quarterly figures are below and the full "
      "report is attached. Let&#39;s talk next week.</p>\n<table width=\"100%\" cellpadding=\"4\">\n";
  for (std::size_t row = 0; html.size() < bytes; ++row) {
    html += "<tr><td style=\"border-bottom:1px solid #ddd;color:#333\">Region " + std::to_string(row % 97) +
            " &amp; partners</td><td style=\"text-align:right\">" + std::to_string(row * 7919 % 100000) +
            " &euro;</td><td><a href=\"https://reports.example/q4/row/" + std::to_string(row) +
            "?utm_source=mail\">Détails de la ligne " + std::to_string(row) +
            "</a></td></tr>\n<tr><td colspan=\"3\"><p>Commentaire&nbsp;: croissance régulière, équipe stable, "
            "prévisions confirmées pour le trimestre suivant.</p></td></tr>\n";
  }
  html += "</table>\n<p>Best regards,<br>Maria Lopez<br>Brightloop</p>\n</body></html>\n";
  return html;
}

// A received reply of about `total_bytes`: multipart/mixed with a long HTML part (no text/plain)
// and a base64 PDF attachment filling the rest.
std::string large_message(std::size_t total_bytes) {
  std::string message =
      "Return-Path: <maria@brightloop.example>\r\n"
      "Received: from mail.brightloop.example (mail.brightloop.example [198.51.100.23])\r\n"
      "\tby mx.acme.example (Postfix) with ESMTPS id 4QmZ1x0abcz9s\r\n"
      "\tfor <alice@acme.example>; Thu, 03 Dec 2026 10:12:44 +0000 (UTC)\r\n"
      "From: Maria Lopez <maria@brightloop.example>\r\n"
      "To: Alice Doe <alice@acme.example>\r\n"
      "Subject: =?UTF-8?Q?Re:_Quick_question_about_Brightloop_=E2=80=94_rapport_d=C3=A9taill=C3=A9?=\r\n"
      "Date: Thu, 03 Dec 2026 11:12:40 +0100\r\n"
      "Message-ID: <large-reply-0001@brightloop.example>\r\n"
      "In-Reply-To: <q4-founders.1.lead0@acme.example>\r\n"
      "References: <q4-founders.1.lead0@acme.example>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"=_mixed_7f3a9c\"\r\n"
      "\r\n"
      "This is a multi-part message in MIME format.\r\n"
      "\r\n"
      "--=_mixed_7f3a9c\r\n"
      "Content-Type: text/html; charset=\"utf-8\"\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n";
  append_quoted_printable(message, long_html(std::max<std::size_t>(total_bytes / 5, 1000)));
  message +=
      "\r\n--=_mixed_7f3a9c\r\n"
      "Content-Type: application/pdf; name=\"Q4 report.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"Q4 report.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n";
  constexpr std::size_t closing = 32;
  const std::size_t room = total_bytes > message.size() + closing ? total_bytes - message.size() - closing : 0;
  append_base64(message, room / 78 * 57);  // 76 characters and CRLF carry 57 bytes
  message += "\r\n--=_mixed_7f3a9c--\r\n";
  return message;
}

// --- Reporting ---------------------------------------------------------------------------------

void print_measurement(const std::string& what, const Measurement& measurement) {
  if (!measurement.ok()) {
    std::printf("%-46s failed: %s\n", what.c_str(), measurement.failure.c_str());
    return;
  }
  std::printf("%-46s %10.1f %8.2f %6.2f %9.1f %10.1f\n", what.c_str(), measurement.per_second(),
              measurement.mb_per_second(), measurement.seconds, measurement.cpu_us_per_message(),
              measurement.per_cpu_second());
}

struct Median {
  double per_second = 0;
  double mb_per_second = 0;
  double per_cpu_second = 0;
  double cpu_us_per_message = 0;
  bool ok = false;
};

// Each figure is the median of its own values over the rounds.
Median median_of(const std::vector<Measurement>& rounds) {
  Median median;
  if (rounds.empty()) return median;
  for (const auto& measurement : rounds) {
    if (!measurement.ok()) return median;
  }
  const auto middle = [&](auto figure) {
    std::vector<double> values;
    for (const auto& measurement : rounds) values.push_back(figure(measurement));
    std::sort(values.begin(), values.end());
    return values.size() % 2 == 1 ? values[values.size() / 2]
                                   : (values[values.size() / 2 - 1] + values[values.size() / 2]) / 2;
  };
  median.per_second = middle([](const Measurement& m) { return m.per_second(); });
  median.mb_per_second = middle([](const Measurement& m) { return m.mb_per_second(); });
  median.per_cpu_second = middle([](const Measurement& m) { return m.per_cpu_second(); });
  median.cpu_us_per_message = middle([](const Measurement& m) { return m.cpu_us_per_message(); });
  median.ok = true;
  return median;
}

void print_ratio(const std::string& what, const Median& ours, const Median& peer) {
  if (!ours.ok || !peer.ok) {
    std::printf("%-58s    n/a (a measurement failed)\n", what.c_str());
    return;
  }
  std::printf("%-58s %7.2f   (per CPU second %.2f)\n", what.c_str(), ours.per_second / peer.per_second,
              ours.per_cpu_second / peer.per_cpu_second);
}

void usage() {
  std::fprintf(stderr,
               "usage: bench_inbound [--seconds S] [--rounds R] [--large-mb M] [--python PATH]\n"
               "                     [--peer-script PATH] [--corpus DIR] [--only corpus|large]\n");
}

// The runs of one set of messages: ours three ways and the peer two ways, `rounds` times in turn.
struct Case {
  std::string name;
  std::vector<std::string> messages;
  fs::path messages_file;
  std::map<std::string, std::vector<Measurement>> runs;
  std::size_t peer_parts = 0;
};

constexpr const char* run_names[] = {"parse", "parse+text", "parse+classify", "python text", "python all"};
constexpr const char* run_labels[] = {
    "outreach parse_message",
    "outreach parse_message + readable_text",
    "outreach parse_message + classify",
    "python email, text parts decoded (peer)",
    "python email, every part decoded (peer)",
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  std::size_t rounds = 3;
  double large_mb = 5;
  fs::path python = "/usr/bin/python3";
  fs::path peer_script = fs::path(OUTREACH_BENCHMARKS_DIR) / "inbound_peer.py";
  fs::path corpus = OUTREACH_INBOUND_CORPUS;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string_view option = argv[i];
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const char* value = argv[++i];
    if (option == "--seconds") {
      seconds = std::max(0.0, std::strtod(value, nullptr));
    } else if (option == "--rounds") {
      rounds = std::max<std::size_t>(1, std::stoul(value));
    } else if (option == "--large-mb") {
      large_mb = std::max(0.01, std::strtod(value, nullptr));
    } else if (option == "--python") {
      python = value;
    } else if (option == "--peer-script") {
      peer_script = value;
    } else if (option == "--corpus") {
      corpus = value;
    } else if (option == "--only" && (std::string_view(value) == "corpus" || std::string_view(value) == "large")) {
      only = value;
    } else {
      usage();
      return 2;
    }
  }
  if (access(python.c_str(), X_OK) != 0 || access(peer_script.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "bench_inbound: %s or %s is missing\n", python.c_str(), peer_script.c_str());
    return 1;
  }

  std::vector<fs::path> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(corpus, error), end; !error && it != end; it.increment(error)) {
    if (it->is_regular_file() && it->path().extension() == ".eml") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "bench_inbound: no .eml files under %s\n", corpus.c_str());
    return 1;
  }

  bench::TempDirectory temporary("outreach-bench-inbound");
  if (!temporary.ok()) {
    std::perror("bench_inbound: mkdtemp");
    return 1;
  }

  std::vector<Case> cases;
  if (only != "large") {
    Case corpus_case;
    corpus_case.name = "corpus";
    for (const auto& file : files) corpus_case.messages.push_back(bench::read_whole_file(file));
    cases.push_back(std::move(corpus_case));
  }
  if (only != "corpus") {
    Case large_case;
    large_case.name = "large";
    large_case.messages.push_back(large_message(static_cast<std::size_t>(large_mb * 1e6)));
    cases.push_back(std::move(large_case));
  }

  const outreach::ClassifyContext context{.unsubscribe_addresses = {"unsubscribe@acme.example"}, .received = {}};
  for (Case& one : cases) {
    one.messages_file = temporary.path() / (one.name + ".txt");
    if (!write_messages_file(one.messages_file, one.messages)) {
      std::fprintf(stderr, "bench_inbound: cannot write %s\n", one.messages_file.c_str());
      return 1;
    }
  }

  std::printf("outreach inbound benchmark: reading received mail on one core, %.3g s per measurement, %zu "
              "round%s%s\n",
              seconds, rounds, rounds > 1 ? "s" : "", rounds > 1 ? " taking turns" : "");
  for (const Case& one : cases) {
    const std::size_t bytes = total_bytes(one.messages);
    if (one.name == "corpus") {
      std::printf("corpus: %zu messages under %s, %zu bytes (%.0f on average)\n", one.messages.size(),
                  corpus.c_str(), bytes, static_cast<double>(bytes) / static_cast<double>(one.messages.size()));
    } else {
      std::printf("large: one message of %zu bytes (HTML part, quoted-printable, and a base64 attachment)\n", bytes);
    }
  }

  // Once before the clock: what the reader makes of the messages (and a warm-up).
  bool all_ok = true;
  for (Case& one : cases) {
    std::size_t parts = 0;
    std::map<std::string_view, int> classes;
    for (const auto& raw : one.messages) {
      const auto message = outreach::parse_message(raw);
      if (!message) {
        std::fprintf(stderr, "bench_inbound: %s: %s\n", one.name.c_str(), message.error().to_string().c_str());
        return 1;
      }
      parts += count_parts(*message);
      ++classes[outreach::to_string(outreach::classify(*message, context).type)];
    }
    std::printf("%s: %zu parts in all (messages included); classified as", one.name.c_str(), parts);
    for (const auto& [name, count] : classes) std::printf(" %.*s %d", static_cast<int>(name.size()), name.data(), count);
    std::printf("\n");
    const PeerResult peer = measure_peer(python, peer_script, one.messages_file, 0, "all", temporary.path());
    if (!peer.measurement.ok()) {
      std::fprintf(stderr, "bench_inbound: the peer failed: %s\n", peer.measurement.failure.c_str());
      return 1;
    }
    one.peer_parts = peer.parts;
    std::printf("%s: Python's walk() visits %lu parts\n", one.name.c_str(), peer.parts);
  }

  std::printf("\nrates per wall-clock second; CPU is user + system time\n");
  std::printf("%-46s %10s %8s %6s %9s %10s\n", "what", "msg/s", "MB/s", "s", "CPU us/msg", "msg/CPU s");
  for (std::size_t round = 1; round <= rounds; ++round) {
    if (rounds > 1) std::printf("round %zu\n", round);
    for (Case& one : cases) {
      const auto record = [&](const char* name, const char* label, Measurement measurement) {
        print_measurement(one.name + ": " + label, measurement);
        std::fflush(stdout);
        if (!measurement.ok()) all_ok = false;
        one.runs[name].push_back(std::move(measurement));
      };
      record(run_names[0], run_labels[0], measure_ours(one.messages, seconds, parse_only));
      record(run_names[1], run_labels[1], measure_ours(one.messages, seconds, parse_and_read));
      record(run_names[2], run_labels[2], measure_ours(one.messages, seconds, [&](const std::string& raw) {
               return parse_and_classify(raw, context);
             }));
      record(run_names[3], run_labels[3],
             measure_peer(python, peer_script, one.messages_file, seconds, "text", temporary.path()).measurement);
      record(run_names[4], run_labels[4],
             measure_peer(python, peer_script, one.messages_file, seconds, "all", temporary.path()).measurement);
    }
  }

  for (Case& one : cases) {
    std::map<std::string, Median> medians;
    if (rounds > 1) std::printf("\n%s: median of %zu rounds\n", one.name.c_str(), rounds);
    for (std::size_t i = 0; i < std::size(run_names); ++i) {
      const Median median = median_of(one.runs[run_names[i]]);
      medians[run_names[i]] = median;
      if (rounds > 1 && median.ok) {
        std::printf("%-46s %10.1f %8.2f %6s %9.1f %10.1f\n", (one.name + ": " + run_labels[i]).c_str(),
                    median.per_second, median.mb_per_second, "", median.cpu_us_per_message, median.per_cpu_second);
      }
    }
    std::printf("\n");
    print_ratio(one.name + ": outreach parse / python email", medians["parse"], medians["python text"]);
    print_ratio(one.name + ": outreach parse+readable_text / python email", medians["parse+text"],
                medians["python text"]);
    print_ratio(one.name + ": outreach parse+classify / python email", medians["parse+classify"],
                medians["python text"]);
    print_ratio(one.name + ": outreach parse / python email, every part", medians["parse"], medians["python all"]);
  }
  return all_ok ? 0 : 1;
}
