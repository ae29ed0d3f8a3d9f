// outreach: the command-line tool (docs/formats.md, "Command line").
//
// Exit status: 0 done; 2 bad input (the message names the file and line or JSON path);
// 3 a request left waiting for the running engine, which did not answer in time; 1 any other
// failure.

#include <exception>
#include <iostream>
#include <string_view>

#include "cli/cli.hpp"

namespace {

using namespace outreach::cli;

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << usage;
    return exit_bad_input;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "help") {
    std::cout << usage;
    return exit_ok;
  }
  if (command == "--version") {
    std::cout << "outreach " OUTREACH_VERSION "\n";
    return exit_ok;
  }
  if (command == "validate") return validate(argc, argv);
  if (command == "render") return render(argc, argv);
  if (command == "simulate") return simulate(argc, argv);
  if (command == "run") return run(argc, argv);
  if (command == "status") return status(argc, argv);
  if (command == "pause") return change_campaign(argc, argv, outreach::RequestAction::pause);
  if (command == "resume") return change_campaign(argc, argv, outreach::RequestAction::resume);
  if (command == "stop") return change_campaign(argc, argv, outreach::RequestAction::stop);
  if (command == "events") return events(argc, argv);
  if (command == "suppress") return suppress(argc, argv);
  if (command == "forget") return forget(argc, argv);
  if (command == "ingest") return ingest(argc, argv);
  std::cerr << "outreach: unknown command \"" << command << "\"\n" << usage;
  return exit_bad_input;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "outreach: internal error: " << error.what() << "\n";
  } catch (...) {
    std::cerr << "outreach: internal error\n";
  }
  return exit_failure;
}
