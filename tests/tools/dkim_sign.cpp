// dkim_sign: signs the message on standard input with a DKIM key and writes the signed message
// to standard output, so that tests can verify it with an independent DKIM implementation.
//
// Usage: dkim_sign KEY.pem DOMAIN SELECTOR < message
// Exit status: 0 with the signed message on standard output; 2 with `error: ...` on standard error.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "outreach/dkim.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: dkim_sign KEY.pem DOMAIN SELECTOR < message\n";
    return 2;
  }
  outreach::DkimSettings settings;
  settings.key_file = argv[1];
  settings.domain = argv[2];
  settings.selector = argv[3];
  auto signer = outreach::DkimSigner::load(settings);
  if (!signer) {
    std::cerr << "error: " << signer.error().to_string() << '\n';
    return 2;
  }
  const std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  auto signed_message = signer->sign(input);
  if (!signed_message) {
    std::cerr << "error: " << signed_message.error().to_string() << '\n';
    return 2;
  }
  std::fwrite(signed_message->data(), 1, signed_message->size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
