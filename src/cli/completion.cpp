#include "cli/completion.hpp"

#include <vector>

namespace outreach::cli {

namespace {

/// What the script needs of one command.
struct Completable {
  std::string path;                     ///< "" for the program, "/suppress/add" for an action
  std::vector<std::string> words;       ///< its commands, then its options
  std::vector<std::string> with_value;  ///< its options that take a value
  bool takes_arguments;                 ///< whether positional arguments (files, names) follow it
};

/// The commands directly under `app`, in the order they were defined.
std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

/// `app` at `path`, then every command below it.
void collect(const CLI::App& app, const std::string& path, std::vector<Completable>& out) {
  Completable command{.path = path, .words = {}, .with_value = {}, .takes_arguments = false};
  for (const CLI::App* below : commands_of(app)) command.words.push_back(below->get_name());
  // `help` is followed by a command's name.
  if (path == "/help") {
    for (const CLI::App* top : commands_of(*app.get_parent())) command.words.push_back(top->get_name());
  }
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional()) {
      command.takes_arguments = true;
      continue;
    }
    for (const std::string& name : option->get_lnames()) {
      command.words.push_back("--" + name);
      if (option->get_expected_max() != 0) command.with_value.push_back("--" + name);
    }
  }
  out.push_back(std::move(command));
  for (const CLI::App* below : commands_of(app)) collect(*below, path + "/" + below->get_name(), out);
}

/// The words separated by spaces, as `compgen -W` takes them.
std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

}  // namespace

std::string bash_completion(const CLI::App& app) {
  std::vector<Completable> commands;
  collect(app, "", commands);
  const std::string& name = app.get_name();
  const std::string function = "_" + name;

  std::string paths;
  std::string words;
  std::string values;
  for (const Completable& command : commands) {
    if (!command.path.empty()) paths += (paths.empty() ? "" : "|") + command.path;
    words += "    '" + command.path + "') words='" + joined(command.words) + "'" +
             (command.takes_arguments ? "; files=1" : "") + " ;;\n";
    for (const std::string& option : command.with_value) {
      values += (values.empty() ? "" : "|") + ("'" + command.path + " " + option + "'");
    }
  }

  std::string script =
      "# bash completion for " + name + ", made by \"" + name + " completion bash\" from its own command line.\n"
      "# Install: " + name + " completion bash > /etc/bash_completion.d/" + name + "\n" +
      function + "() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  local path='' i words='' files=0\n"
      "  # The commands given so far (\"/suppress/add\"); other words are arguments and values.\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case \"$path/${COMP_WORDS[i]}\" in\n"
      "      " + paths + ") path=\"$path/${COMP_WORDS[i]}\" ;;\n"
      "    esac\n"
      "  done\n"
      "  COMPREPLY=()\n";
  if (!values.empty()) {
    script +=
        "  case \"$path $prev\" in\n"
        "    " + values + ")\n"
        "      compopt -o filenames 2>/dev/null\n"
        "      mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
        "      return 0 ;;\n"
        "  esac\n";
  }
  script +=
      "  case \"$path\" in\n" + words +
      "  esac\n"
      "  mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
      "  if ((files)) && [[ $cur != -* ]]; then\n"
      "    compopt -o filenames 2>/dev/null\n"
      "    mapfile -t -O \"${#COMPREPLY[@]}\" COMPREPLY < <(compgen -f -- \"$cur\")\n"
      "  fi\n"
      "  return 0\n"
      "}\n"
      "complete -F " + function + " " + name + "\n";
  return script;
}

}  // namespace outreach::cli
