// outreach: the command-line tool (docs/formats.md, "Command line").
//
// Exit status: 0 done; 2 bad input (the message names the file and line or JSON path) or a wrong
// command line; 3 a request left waiting for the running engine, which did not answer in time;
// 1 any other failure.

#include <exception>
#include <iostream>

#include "cli/command_line.hpp"

int main(int argc, char** argv) {
  try {
    outreach::cli::CommandLine command_line;
    return command_line.run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "outreach: internal error: " << error.what() << "\n";
  } catch (...) {
    std::cerr << "outreach: internal error\n";
  }
  return outreach::cli::exit_failure;
}
