// DKIM signing speed: composed messages of about 2 KB signed by DkimSigner with an RSA-2048 and
// an Ed25519 key generated in the run, against `openssl speed` for the same key type, run in the
// same run. openssl speed divides by the user CPU time it used, so ours is measured the same way
// (the wall-clock rate is printed beside it). A third line per key, the bare OpenSSL signature
// with a fresh context each time, shows what initializing a context per message would cost
// (DkimSigner copies one initialized per key instead) and how the rest splits around the
// signature (canonicalization, the body hash, the field).
//
//   bench_dkim [--seconds S] [--only rsa2048|ed25519]
//
// --seconds: openssl speed -seconds S, and as long for ours (default 3); --only: one key type.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench_messages.hpp"
#include "bench_process.hpp"
#include "outreach/dkim.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double user_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
}

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;

std::string private_key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// A rate: operations per user CPU second (the divisor openssl speed uses) and per wall second.
struct Rate {
  double per_cpu_second = 0;
  double per_wall_second = 0;
  bool ok = true;
};

// Calls `operation` until it has used `seconds` of user CPU time.
template <class Operation>
Rate measure(double seconds, Operation&& operation) {
  std::size_t count = 0;
  const double cpu_start = user_cpu_seconds();
  const auto wall_start = Clock::now();
  double cpu = 0;
  do {
    for (int i = 0; i < 8; ++i, ++count) {
      if (!operation(count)) return {.per_cpu_second = 0, .per_wall_second = 0, .ok = false};
    }
    cpu = user_cpu_seconds() - cpu_start;
  } while (cpu < seconds);
  const double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
  return {.per_cpu_second = static_cast<double>(count) / cpu, .per_wall_second = static_cast<double>(count) / wall};
}

// The signature alone, with a fresh context per call: over a SHA-256 of `input` for RSA, over
// `input` itself for Ed25519 (to which DkimSigner gives a 32-byte digest).
Rate bare_signatures(EVP_PKEY* key, bool rsa, std::string_view input, double seconds) {
  std::vector<unsigned char> signature(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
  const auto* bytes = reinterpret_cast<const unsigned char*>(input.data());
  return measure(seconds, [&](std::size_t) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t length = signature.size();
    return context && EVP_DigestSignInit(context.get(), nullptr, rsa ? EVP_sha256() : nullptr, nullptr, key) == 1 &&
           EVP_DigestSign(context.get(), signature.data(), &length, bytes, input.size()) == 1;
  });
}

// `openssl speed -mr -seconds S ALGORITHM`: the sign/s figure of its final "+F" line (for RSA
// "+F2:n:bits:sign:verify", for Ed25519 "+F6:n:bits:name:sign:verify").
double openssl_sign_rate(const std::filesystem::path& openssl, const char* algorithm, int seconds,
                         const std::filesystem::path& directory) {
  const auto result = bench::run_process({openssl.string(), "speed", "-mr", "-seconds",
                                          std::to_string(seconds), algorithm},
                                         directory / "openssl-speed.out");
  const std::string_view prefix = std::string_view(algorithm) == "rsa2048" ? "+F2:" : "+F6:";
  const std::size_t sign_field = std::string_view(algorithm) == "rsa2048" ? 3 : 4;
  const auto at = result.output.find(prefix);
  if (result.exit_status != 0 || at == std::string::npos) {
    std::fprintf(stderr, "bench_dkim: openssl speed %s failed (exit status %d): %s\n", algorithm, result.exit_status,
                 result.errors.c_str());
    return 0;
  }
  std::string_view line(result.output.c_str() + at);
  line = line.substr(0, line.find('\n'));
  for (std::size_t field = 0; field < sign_field; ++field) line.remove_prefix(line.find(':') + 1);
  return std::strtod(std::string(line.substr(0, line.find(':'))).c_str(), nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 3;  // whole seconds: openssl speed takes no fraction
  std::string_view only;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--seconds") seconds = std::max(1, std::stoi(argv[i + 1]));
    if (std::string_view(argv[i]) == "--only") only = argv[i + 1];
  }
  const auto openssl = bench::find_program("openssl");
  bench::TempDirectory temporary("outreach-bench-dkim");
  if (!openssl || !temporary.ok()) {
    std::fprintf(stderr, "bench_dkim: the openssl command (Debian package openssl) is missing\n");
    return 1;
  }

  const std::vector<outreach::Message> messages = bench::campaign_messages(1000);
  if (messages.empty()) return 1;
  // Roughly the header data a signature covers, for the bare RSA signature.
  const std::string header_data(700, 'h');

  struct KeyType {
    const char* label;
    const char* speed_name;
  };
  constexpr KeyType key_types[] = {{"RSA-2048", "rsa2048"}, {"Ed25519", "ed25519"}};

  std::printf("outreach DKIM benchmark: messages of %.0f bytes on average, relaxed/relaxed, one core; rates per "
              "second of user CPU time, as openssl speed counts (wall-clock rate in brackets)\n\n",
              bench::average_size(messages));
  bool all_ok = true;
  for (const auto& type : key_types) {
    if (!only.empty() && only != type.speed_name) continue;
    const bool rsa = std::string_view(type.speed_name) == "rsa2048";
    const Key key(rsa ? EVP_RSA_gen(2048) : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    auto signer = outreach::DkimSigner::from_pem(key ? private_key_pem(key.get()) : "", "acme.example", "s2026");
    if (!signer) {
      std::fprintf(stderr, "bench_dkim: %s: %s\n", type.label, signer.error().to_string().c_str());
      all_ok = false;
      continue;
    }
    const Rate ours = measure(seconds, [&](std::size_t i) {
      const auto signed_message = signer->sign(messages[i % messages.size()].data);
      return signed_message.has_value() && signed_message->starts_with("DKIM-Signature:");
    });
    // DkimSigner hands RSA the header data to hash and sign, Ed25519 a 32-byte digest of it.
    const std::string_view bare_input = std::string_view(header_data).substr(0, rsa ? header_data.size() : 32);
    const Rate bare = bare_signatures(key.get(), rsa, bare_input, seconds);
    const double openssl_rate = openssl_sign_rate(*openssl, type.speed_name, seconds, temporary.path());
    if (!ours.ok || !bare.ok || openssl_rate <= 0) {
      std::fprintf(stderr, "bench_dkim: %s: a measurement failed\n", type.label);
      all_ok = false;
      continue;
    }
    const double ratio = ours.per_cpu_second / openssl_rate;
    std::printf("%-9s openssl speed -seconds %d %s (peer)     %10.0f sign/s\n", type.label, seconds, type.speed_name,
                openssl_rate);
    std::printf("%-9s bare EVP_DigestSign, fresh context     %10.0f /s  (%.0f)  ratio %.3f\n", type.label,
                bare.per_cpu_second, bare.per_wall_second, bare.per_cpu_second / openssl_rate);
    std::printf("%-9s DkimSigner::sign, whole messages       %10.0f /s  (%.0f)  ratio %.3f  goal >= %.3f (within "
                "1.2x): %s\n\n",
                type.label, ours.per_cpu_second, ours.per_wall_second, ratio, 1 / 1.2,
                ratio >= 1 / 1.2 ? "reached" : "not reached");
  }
  return all_ok ? 0 : 1;
}
