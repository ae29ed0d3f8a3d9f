#include "cli/manual.hpp"

#include <cctype>
#include <sstream>

namespace outreach::cli {

namespace {

/// `text` as roff prose: backslashes and dashes escaped (a dash stays an ASCII hyphen-minus, so
/// that options copied from the page work), and a line that would start with a control
/// character made text.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

/// The commands directly under `app`, in the order they were defined.
std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

/// What a command's footer says: its example command lines (the indented lines after
/// "Example:") and the rest, as prose.
struct Footer {
  std::vector<std::string> examples;
  std::string prose;
};

Footer read_footer(const std::string& footer) {
  Footer out;
  std::istringstream lines(footer);
  std::string line;
  bool in_example = false;
  while (std::getline(lines, line)) {
    if (line == "Example:") {
      in_example = true;
    } else if (in_example && line.starts_with("  ")) {
      out.examples.push_back(line.substr(2));
    } else if (!line.empty()) {
      in_example = false;
      out.prose += line + "\n";
    }
  }
  return out;
}

/// The options of `command` that are positional arguments, and those that are not.
std::vector<const CLI::Option*> options_of(const CLI::App& command, bool positional) {
  std::vector<const CLI::Option*> out;
  for (const CLI::Option* option : command.get_options()) {
    if (option->nonpositional() != positional) out.push_back(option);
  }
  return out;
}

/// How a positional argument is written in a synopsis: `FILE`, `[FILE]`, `FILE...`.
std::string argument_usage(const CLI::Option& argument) {
  std::string usage = argument.get_name();
  const int most = argument.get_expected_max();
  if (most < 0 || most > 1) usage += "...";
  if (!argument.get_required() || argument.get_expected_min() == 0) usage = "[" + usage + "]";
  return usage;
}

/// `\-s, \-\-long VALUE` for an option's tag.
std::string option_tag(const CLI::Option& option) {
  std::string names;
  for (const std::string& name : option.get_snames()) names += (names.empty() ? "\\fB\\-" : ", \\fB\\-") + roff(name) + "\\fR";
  for (const std::string& name : option.get_lnames()) names += (names.empty() ? "\\fB\\-\\-" : ", \\fB\\-\\-") + roff(name) + "\\fR";
  if (option.get_expected_max() != 0) names += " \\fI" + roff(option.get_type_name()) + "\\fR";
  return names;
}

/// Upper case for the first letter, as a sentence starts.
std::string capitalized(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

/// An option's description as a sentence, with "(required)" when the parser requires it and
/// the help does not say so.
std::string option_description(const CLI::Option& option) {
  std::string description = capitalized(option.get_description());
  if (option.get_required() && description.find("required") == std::string::npos) description += " (required)";
  if (!description.ends_with(".")) description += ".";
  return description;
}

/// The page name of the command at `path` (`outreach`, `suppress`, `add`).
std::string page_name(const std::vector<std::string>& path) {
  std::string name;
  for (const std::string& part : path) name += (name.empty() ? "" : "-") + part;
  return name;
}

/// Upper case, as a page's title is written.
std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

class PageWriter {
 public:
  PageWriter(const CLI::App& program, std::string_view version)
      : version_(version), exit_status_(read_exit_status(program.get_footer())) {}

  void write_all(const CLI::App& command, std::vector<std::string> path, std::vector<ManualPage>& out) const {
    out.push_back({page_name(path), page(command, path)});
    for (const CLI::App* below : commands_of(command)) {
      std::vector<std::string> below_path = path;
      below_path.push_back(below->get_name());
      write_all(*below, std::move(below_path), out);
    }
  }

 private:
  /// The program's footer from "Exit status:" on: what every page says about exit status.
  static std::string read_exit_status(const std::string& footer) {
    const std::size_t at = footer.find("Exit status:");
    if (at == std::string::npos) return {};
    std::string text = footer.substr(at + std::string_view("Exit status:").size());
    std::string joined;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      const std::size_t first = line.find_first_not_of(' ');
      if (first == std::string::npos) continue;
      joined += (joined.empty() ? "" : " ") + line.substr(first);
    }
    return joined;
  }

  std::string page(const CLI::App& command, const std::vector<std::string>& path) const {
    const std::string name = page_name(path);
    const bool is_program = path.size() == 1;
    std::string invocation;
    for (const std::string& part : path) invocation += (invocation.empty() ? "" : " ") + part;
    const std::vector<const CLI::App*> below = commands_of(command);
    const Footer footer = read_footer(command.get_footer());
    // The program's description starts with its own name, which the NAME line already gives.
    std::string description = command.get_description();
    if (description.starts_with(name + ": ")) description = capitalized(description.substr(name.size() + 2));

    std::string text = ".TH " + roff(upper(name)) + " 1 \"\" \"outreach " + roff(version_) + "\" \"outreach manual\"\n";
    // Neither hyphenated nor justified: option names and commands are copied from the page.
    text += ".nh\n.ad l\n";
    text += ".SH NAME\n" + roff(name) + " \\- " + roff(lowercase_first(description)) + "\n";

    // As the help's usage line has it.
    text += ".SH SYNOPSIS\n.B " + roff(invocation) + "\n[\\fIOPTIONS\\fR]";
    if (!below.empty()) text += is_program ? " \\fICOMMAND\\fR" : " \\fIACTION\\fR";
    for (const CLI::Option* argument : options_of(command, true)) text += " " + roff(argument_usage(*argument));
    text += "\n";

    text += ".SH DESCRIPTION\n" + roff(description) + (description.ends_with(".") ? "\n" : ".\n");
    if (!footer.prose.empty() && !is_program) text += ".PP\n" + roff(footer.prose);

    if (!below.empty()) {
      text += is_program ? ".SH COMMANDS\n" : ".SH ACTIONS\n";
      for (const CLI::App* sub : below) {
        text += ".TP\n.BR " + roff(name + "-" + sub->get_name()) + " (1)\n" + roff(sub->get_description()) + ".\n";
      }
    }
    const std::vector<const CLI::Option*> arguments = options_of(command, true);
    if (!arguments.empty()) {
      text += ".SH ARGUMENTS\n";
      for (const CLI::Option* argument : arguments) {
        text += ".TP\n\\fI" + roff(argument->get_name()) + "\\fR\n" + roff(option_description(*argument)) + "\n";
      }
    }
    const std::vector<const CLI::Option*> options = options_of(command, false);
    if (!options.empty() || is_program) {
      text += ".SH OPTIONS\n";
      for (const CLI::Option* option : options) {
        text += ".TP\n" + option_tag(*option) + "\n" + roff(option_description(*option)) + "\n";
      }
    }
    if (!footer.examples.empty()) {
      text += footer.examples.size() == 1 ? ".SH EXAMPLE\n" : ".SH EXAMPLES\n";
      for (const std::string& example : footer.examples) text += ".PP\n.nf\n.RS 4\n" + roff(example) + "\n.RE\n.fi\n";
    }
    if (!exit_status_.empty()) text += ".SH EXIT STATUS\n" + roff(exit_status_) + "\n";

    text += ".SH SEE ALSO\n";
    if (is_program) {
      std::string pages;
      for (const CLI::App* sub : below) pages += (pages.empty() ? "" : ",\n") + (".BR " + roff(name + "-" + sub->get_name()) + " (1)");
      text += pages + "\n";
    } else {
      std::vector<std::string> parent(path.begin(), path.end() - 1);
      text += ".BR " + roff(page_name(parent)) + " (1)\n";
    }
    return text;
  }

  /// A description as the second half of a NAME line: "Send for real." becomes "send for real".
  static std::string lowercase_first(std::string text) {
    if (text.ends_with(".")) text.pop_back();
    if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
        !std::isupper(static_cast<unsigned char>(text[1]))) {
      text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
  }

  std::string version_;
  std::string exit_status_;
};

}  // namespace

std::vector<ManualPage> manual_pages(const CLI::App& app, std::string_view version) {
  std::vector<ManualPage> pages;
  PageWriter(app, version).write_all(app, {app.get_name()}, pages);
  return pages;
}

}  // namespace outreach::cli
