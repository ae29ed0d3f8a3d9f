// `outreach serve`: the web server beside the engine that runs a store; and `outreach report`,
// a campaign's report page written to a file.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/cli.hpp"
#include "outreach/report_page.hpp"
#include "outreach/store_view.hpp"
#if OUTREACH_WITH_HTTP
#include "outreach/web_server.hpp"
#endif

namespace outreach::cli {

int serve(const Arguments& arguments) {
#if OUTREACH_WITH_HTTP
  const std::string* store = store_location(arguments, true);
  if (!store) return exit_bad_input;
  WebServerOptions options;
  options.store = *store;
  if (const std::string* listen = arguments.option("listen")) options.listen = *listen;
  if (const std::string* certificate = arguments.option("tls-cert")) options.tls_certificate = *certificate;
  if (const std::string* key = arguments.option("tls-key")) options.tls_key = *key;
  if (const std::string* cap = arguments.option("max-connections")) {
    const auto count = parse_integer(*cap);
    if (!count || *count < 1 || *count > 100000) {
      std::cerr << "outreach: --max-connections: expected a number from 1 to 100000, not \"" << *cap << "\"\n";
      return exit_bad_input;
    }
    options.max_connections = static_cast<std::size_t>(*count);
  }
  if (const char* token = std::getenv("OUTREACH_SERVE_TOKEN"); token && *token) options.token = token;
  options.log = [](std::string_view line) { std::cerr << "outreach serve: " << line << std::endl; };

  // The signals are taken by this thread alone (sigwait), before any other thread exists.
  sigset_t stopping;
  sigemptyset(&stopping);
  sigaddset(&stopping, SIGINT);
  sigaddset(&stopping, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopping, nullptr);

  auto server = WebServer::open(std::move(options));
  if (!server) {
    print_errors(server.error());
    return exit_code_for(server.error());
  }
  std::cerr << "outreach serve: listening on port " << (*server)->port()
            << (arguments.option("tls-cert") ? " (HTTPS)" : "") << std::endl;
  std::thread serving([&] { (*server)->run(); });
  int signal = 0;
  sigwait(&stopping, &signal);
  std::cerr << "outreach serve: stopping" << std::endl;
  (*server)->stop();
  serving.join();
  return exit_ok;
#else
  (void)arguments;
  std::cerr << "outreach: this build has no web server (OUTREACH_WITH_HTTP=OFF)\n";
  return exit_failure;
#endif
}

int report(const Arguments& arguments) {
  if (arguments.positional.size() != 1) {
    std::cerr << "outreach: report needs the campaign's name\n" << usage;
    return exit_bad_input;
  }
  const std::string* file = arguments.option("html");
  if (!file) {
    std::cerr << "outreach: --html FILE is needed: where to write the page\n" << usage;
    return exit_bad_input;
  }
  int failed = exit_ok;
  auto store = store_of(arguments, StoreAccess::read, failed);
  if (!store) return failed;
  auto report = report_store(*store, arguments.positional.front());
  if (!report) {
    print_errors(report.error());
    return exit_code_for(report.error());
  }
  const std::string page = report_html(*report);
  std::ofstream out(*file, std::ios::binary | std::ios::trunc);
  out << page;
  out.close();
  if (!out) {
    std::cerr << "outreach: " << *file << ": cannot write the page\n";
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace outreach::cli
