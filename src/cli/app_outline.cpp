#include "cli/app_outline.hpp"

#include <parlab/example_registry.hpp>
#include <parlab/executor.hpp>
#include <parlab/workload.hpp>

#include <CLI/CLI.hpp>

namespace parlab::cli {
namespace {

outlined_option outline_option(const CLI::Option& o) {
  outlined_option out;
  for (const auto& s : o.get_snames()) out.names.push_back("-" + s);
  for (const auto& l : o.get_lnames()) out.names.push_back("--" + l);
  if (out.names.empty()) out.positional = o.get_name(true);
  if (o.get_type_size_max() > 0) out.value = o.get_type_name();
  out.description = o.get_description();
  out.required = o.get_required();
  return out;
}

outlined_command outline_command(const CLI::App& app) {
  outlined_command c;
  c.name = app.get_parent() != nullptr ? app.get_name() : "";
  c.description = app.get_description();
  c.footer = app.get_footer();
  c.takes_rest = app.get_prefix_command();
  const auto options = app.get_options();
  for (const CLI::Option* o : options) {
    if (o->nonpositional()) c.options.push_back(outline_option(*o));
  }
  for (const CLI::Option* o : options) {
    if (!o->nonpositional()) c.options.push_back(outline_option(*o));
  }
  return c;
}

}  // namespace

app_outline outline_of(const CLI::App& app) {
  app_outline out;
  out.top = outline_command(app);
  const auto visible = [](const CLI::App* sub) { return !sub->get_group().empty(); };
  for (const CLI::App* sub : app.get_subcommands(visible)) {
    out.commands.push_back(outline_command(*sub));
  }
  return out;
}

std::vector<std::string> values_of(std::string_view kind) {
  std::vector<std::string> values;
  if (kind == "WORKLOAD") {
    for (const auto& w : workloads()) values.push_back(w.name);
  } else if (kind == "MODELS") {
    for (const auto& e : executors()) values.push_back(e.name);
  } else if (kind == "FAULT") {
    for (const auto mode : {fault_mode::throw_exception, fault_mode::abort_process,
                            fault_mode::segfault, fault_mode::exit_process}) {
      values.emplace_back(to_string(mode));
    }
  } else if (kind == "SCHEDULE") {
    values = {"dynamic", "static"};
  } else if (kind == "EXAMPLE") {
    for (const auto& e : registered_examples()) values.push_back(e.name);
  } else if (kind == "SHELL") {
    values = {"bash", "zsh", "fish"};
  }
  return values;
}

bool is_list(std::string_view kind) noexcept { return kind == "MODELS"; }

}  // namespace parlab::cli
