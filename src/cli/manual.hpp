// Manual pages, made from the command line's own definition (the same one `--help` prints) so
// that the pages and the help never disagree.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace outreach::cli {

/// One manual page: its name (`outreach-suppress-add`) and its text in the man(7) macros.
struct ManualPage {
  std::string name;  ///< The page's name; its file is `name + ".1"`.
  std::string text;  ///< roff source, for section 1.
};

/// The manual pages of the program `app` defines: `outreach(1)` with the list of commands, then
/// one page per command and per action of a command (`outreach-run(1)`, `outreach-suppress(1)`,
/// `outreach-suppress-add(1)`), each with its synopsis, description, arguments, options, example
/// and exit status, in the order the commands were defined.
/// @param app The program's command line.
/// @param version The version the pages name in their footer.
[[nodiscard]] std::vector<ManualPage> manual_pages(const CLI::App& app, std::string_view version);

}  // namespace outreach::cli
