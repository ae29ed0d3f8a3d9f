// Shell completion, made from the command line's own definition so that it never lags behind it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace outreach::cli {

/// A bash completion script for the program `app` defines: after `outreach`, its commands; after
/// a command, its actions and options; after an option that takes a value, and where a command
/// takes arguments, file names. Installed with
/// `outreach completion bash > /etc/bash_completion.d/outreach`.
[[nodiscard]] std::string bash_completion(const CLI::App& app);

}  // namespace outreach::cli
