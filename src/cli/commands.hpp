#pragma once
// Internal: one function per parlab command, one file each (src/cli/*_command.cpp). Each
// returns the exit code, throws usage_error (or std::invalid_argument) for bad input, and lets
// parlab::interrupted through after keeping what it measured.

#include "cli/options.hpp"
#include "cli/outputs.hpp"

#include <parlab/experiment.hpp>
#include <parlab/sweep.hpp>
#include <parlab/switch_records.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parlab::cli {

/// The experiment `parlab run` options describe, every number checked against parlab::limits
/// and the machine's own limits; throws usage_error / std::invalid_argument. Runs nothing.
[[nodiscard]] experiment_spec run_spec(const run_command& c);

/// The files a run-like command reads (--hostfile), for require_distinct_files.
[[nodiscard]] std::vector<named_input> inputs_of(const run_command& c);

int command_run(const run_command& c);
int command_list();
int command_completion(const completion_command& c);
int command_manpages(const manpages_command& c);
int command_demo(const demo_command& c);
int command_overhead(const overhead_command& c);
int command_report(const report_command& c);
int command_example(const example_command& c);
int command_fit(const fit_command& c);
int command_compare(const compare_command& c);
/// The sweep `parlab sweep` options describe, checked like run_spec (and every W against the
/// machine's limits); without -j, the default worker counts, saying on `notes` which the machine
/// cannot take. Throws usage_error / std::invalid_argument. Runs nothing.
[[nodiscard]] sweep_spec sweep_spec_from(const sweep_command& c, std::FILE* notes);

int command_sweep(const sweep_command& c);
int command_advise(const advise_command& c);
int command_predict(const predict_command& c);
int command_mpi_rank(const mpi_rank_command& c);
int command_watch(const watch_command& c);

/// --pin-cores: pins this process before any thread starts, so every worker (and every forked
/// child) inherits the mask. Throws usage_error for a bad list.
void apply_pinning(const std::optional<std::string>& cpus);

/// --hosts / --hostfile (run, overhead): only with the mpi model, and a readable placement; throws
/// usage_error naming the option otherwise. Nothing when neither is given.
void check_placement_options(const std::optional<std::string>& hosts,
                             const std::optional<std::string>& hostfile, bool has_mpi);

/// --exact: forks the switch-record collector (call it while parlab has one thread). Where the
/// kernel refuses, says so in one line, with `instead` (what the command shows without), and
/// returns a recorder that is not available(): nothing is recorded.
[[nodiscard]] std::unique_ptr<switch_recorder> start_switch_records(std::string_view instead);

/// --repeat: measured runs per configuration (default 3).
[[nodiscard]] std::size_t repeat_option(const std::optional<std::string>& text);

}  // namespace parlab::cli
