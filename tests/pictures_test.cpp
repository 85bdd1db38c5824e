// The pictures drawn from a timeline: terminal lanes, Chrome trace structure, SVG lanes and
// well-formedness, the HTML report, and reading a saved result back.

#include <parlab/graph_analysis.hpp>
#include <parlab/pictures.hpp>
#include <parlab/report.hpp>
#include <parlab/switch_records.hpp>
#include <parlab/timeline_analysis.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "event_times.hpp"

namespace parlab {
namespace {

constexpr std::int64_t t0 = 5'000 * ms;  // runs do not start at 0 on the monotonic clock

event ev(event_kind kind, std::uint32_t task, std::uint32_t worker, std::int64_t start,
         std::int64_t end, std::int16_t cpu = -1) {
  return {t0 + start, t0 + end, task, worker, cpu, kind};
}

/// Two workers on one CPU taking turns (task 0 and 1), then task 2 waits on worker 0.
measured_run sample_run() {
  std::vector<event> events = {
      ev(event_kind::queued, 0, no_id, 0, 0),
      ev(event_kind::queued, 1, no_id, 0, 0),
      ev(event_kind::queued, 2, no_id, 0, 0),
      ev(event_kind::task, 0, 0, 0, 40 * ms),
      ev(event_kind::task, 1, 1, 0, 40 * ms),
      ev(event_kind::slice, 0, 0, 0, 10 * ms, 0),
      ev(event_kind::preempted, 0, 0, 10 * ms, 20 * ms),
      ev(event_kind::slice, 0, 0, 20 * ms, 30 * ms, 0),
      ev(event_kind::preempted, 0, 0, 30 * ms, 40 * ms),
      ev(event_kind::preempted, 1, 1, 0, 10 * ms),
      ev(event_kind::slice, 1, 1, 10 * ms, 20 * ms, 0),
      ev(event_kind::preempted, 1, 1, 20 * ms, 30 * ms),
      ev(event_kind::slice, 1, 1, 30 * ms, 40 * ms, 0),
      ev(event_kind::task, 2, 0, 40 * ms, 60 * ms),
      event{t0 + 40 * ms, t0 + 58 * ms, 2, 0, -1, event_kind::wait, wait_kind::blocking},
      ev(event_kind::slice, 2, 0, 58 * ms, 60 * ms, 1),
  };
  std::sort(events.begin(), events.end(),
            [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
  measured_run r;
  r.workload = "cpu";
  r.executor = "threads";
  r.workers = 2;
  r.tasks = 3;
  r.repeat = 1;
  r.wall_median = r.wall_min = r.wall_max = 0.060;
  r.wall_samples = {0.060};
  r.concurrency = summarize(events, 2, 1);
  r.cores_busy = cores_busy_shares(events, t0, t0 + 60 * ms);
  r.busy = bands_of(r.cores_busy, 1);
  r.worker_time = worker_time_split(events, 2, t0, t0 + 60 * ms);
  lock_stats hot;
  hot.lock = 3;
  hot.name = "accounts";
  hot.acquisitions = 40;
  hot.contended = 12;
  hot.wait_total_ns = 9 * ms;
  hot.wait_median_ns = ms / 2;
  hot.wait_max_ns = 2 * ms;
  hot.hold_total_ns = 20 * ms;
  hot.hold_median_ns = ms / 2;
  hot.hold_max_ns = ms;
  r.locks = {hot};
  r.minor_faults = 321;
  r.hazards = {{"noisy", "threads W=2: its 3 runs spread 12% around their mean"},
               {"oversubscribed", "threads W=2: 2 workers on 1 usable cores", true}};
  r.children = children_memory{2, 64 << 20, 40 << 20, 1 << 20};
  r.representative.executor = "threads";
  r.representative.workers = 2;
  r.representative.start_ns = t0;
  r.representative.end_ns = t0 + 60 * ms;
  for (std::size_t i = 0; i < 3; ++i) {
    task_record rec;
    rec.task_id = i;
    rec.worker = i == 1 ? 1 : 0;
    rec.ok = true;
    rec.start_ns = t0 + (i == 2 ? 40 * ms : 0);
    rec.end_ns = t0 + (i == 2 ? 60 * ms : 40 * ms);
    r.representative.records.push_back(rec);
  }
  r.representative.recorded.events = events;
  return r;
}

machine_info sample_machine() {
  machine_info m;
  m.cores = 1;
  m.online_cpus = 2;
  m.affinity = {0};
  m.cpu_model = "Test CPU <fast> & cheap";
  m.kernel = "Linux test";
  m.hostname = "host";
  return m;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(TerminalTimeline, DrawsALanePerWorkerAndPerCpuWithTheVerdictAsTitle) {
  const std::string text = format_timeline(sample_run(), {60, false});
  const auto lines = lines_of(text);
  ASSERT_GE(lines.size(), 7U);
  EXPECT_NE(lines[0].find("threads · cpu · W=2 — concurrent"), std::string::npos) << text;
  std::vector<std::string> workers, cpus;
  for (const auto& l : lines) {
    if (l.rfind("worker ", 0) == 0) workers.push_back(l);
    if (l.rfind("cpu ", 0) == 0) cpus.push_back(l);
  }
  ASSERT_EQ(workers.size(), 2U);
  ASSERT_EQ(cpus.size(), 2U);  // CPUs 0 and 1 ran slices
  // Under the lanes, where each one's time went (worker 0: 22 ms running, 20 preempted, 18 in
  // a blocking call).
  EXPECT_NE(text.find("where each lane's time went"), std::string::npos) << text;
  EXPECT_NE(text.find("running 37% · preempted 33% · io 30%"), std::string::npos) << text;
  // Worker 0: task 0 runs a quarter, is preempted a quarter, ... then task 2 waits.
  const std::string w0 = workers[0].substr(workers[0].find('|') + 1, 60);
  EXPECT_EQ(w0.substr(0, 10), std::string(10, '0'));
  EXPECT_EQ(w0.substr(10, 10), std::string(10, '.'));
  EXPECT_EQ(w0.substr(40, 18), std::string(18, '~'));
  EXPECT_EQ(w0.substr(58, 2), "22");
  const std::string w1 = workers[1].substr(workers[1].find('|') + 1, 60);
  EXPECT_EQ(w1.substr(0, 10), std::string(10, '.'));
  EXPECT_EQ(w1.substr(10, 10), std::string(10, '1'));
  EXPECT_EQ(w1.substr(40, 20), std::string(20, ' ')) << "idle after its task";
  // CPU 0 alternates between the two tasks: the picture of time slicing.
  const std::string c0 = cpus[0].substr(cpus[0].find('|') + 1, 40);
  // (appended, not added: GCC 12 at -O3 takes a chain of + on temporaries for an overflow,
  // -Warray-bounds, when the standard headers come from the precompiled header)
  EXPECT_EQ(c0, std::string(10, '0').append(10, '1').append(10, '0').append(10, '1'));
  EXPECT_EQ(text.find('\033'), std::string::npos) << "no colour unless asked";
  EXPECT_NE(format_timeline(sample_run(), {60, true}).find("\033["), std::string::npos);
}

TEST(TerminalTimeline, SaysWhenThereIsNothingToDraw) {
  measured_run r = sample_run();
  r.representative.recorded.events.clear();
  const std::string text = format_timeline(r);
  EXPECT_NE(text.find("no timeline recorded"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST(ChromeTrace, HasMetadataCompleteEventsCountersAndMonotoneTracks) {
  const auto doc = nlohmann::json::parse(to_chrome_trace(sample_machine(), {sample_run()}));
  ASSERT_TRUE(doc.contains("traceEvents"));
  EXPECT_EQ(doc["displayTimeUnit"], "ms");
  std::set<std::pair<int, int>> named;  // (pid, tid) with a thread_name
  std::map<std::pair<int, int>, double> last_ts;
  std::size_t complete = 0, counters = 0, slices_with_cpu = 0;
  bool process_named = false;
  for (const auto& e : doc["traceEvents"]) {
    for (const char* key : {"ph", "name", "pid", "tid"}) {
      ASSERT_TRUE(e.contains(key)) << key << " missing in " << e.dump();
    }
    const std::string ph = e["ph"];
    const auto track = std::make_pair(e["pid"].get<int>(), e["tid"].get<int>());
    if (ph == "M") {
      if (e["name"] == "thread_name") named.insert(track);
      if (e["name"] == "process_name") {
        process_named = true;
        EXPECT_EQ(e["args"]["name"], "threads · cpu · W=2");
      }
      continue;
    }
    ASSERT_TRUE(e.contains("ts"));
    if (ph == "X") {
      ++complete;
      ASSERT_TRUE(e.contains("dur"));
      EXPECT_GE(e["dur"].get<double>(), 0.0);
      EXPECT_TRUE(named.count(track)) << "track without a thread_name: " << e.dump();
      const double ts = e["ts"];
      if (last_ts.count(track)) {
        EXPECT_GE(ts, last_ts[track]) << "timestamps go back";
      }
      last_ts[track] = ts;
      if (e["cat"] == "slice") {
        ++slices_with_cpu;
        EXPECT_TRUE(e["args"].contains("cpu"));
      }
    }
    if (ph == "C") {
      ++counters;
      EXPECT_TRUE(e["name"] == "tasks in flight" || e["name"] == "tasks running");
    }
  }
  EXPECT_TRUE(process_named);
  EXPECT_TRUE(named.count({1, 0}) && named.count({1, 1}));
  EXPECT_EQ(complete, 13U);  // every event but the 3 queued instants
  EXPECT_EQ(slices_with_cpu, 5U);
  EXPECT_GT(counters, 4U);
  // Times are relative to the run's start, in microseconds.
  double first = 1e18;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "X") first = std::min(first, e["ts"].get<double>());
  }
  EXPECT_EQ(first, 0.0);
}

/// Checks tags are balanced and properly nested (enough to catch broken SVG/XML output).
bool well_formed(const std::string& xml, std::string& why) {
  std::vector<std::string> open;
  for (std::size_t i = xml.find('<'); i != std::string::npos; i = xml.find('<', i + 1)) {
    const std::size_t close = xml.find('>', i);
    if (close == std::string::npos) return why = "unterminated tag", false;
    const std::string tag = xml.substr(i + 1, close - i - 1);
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    if (tag.back() == '/') continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) return why = "unexpected </" + name + ">", false;
      open.pop_back();
    } else {
      open.push_back(tag.substr(0, tag.find_first_of(" \n\t")));
    }
  }
  if (!open.empty()) return why = "unclosed <" + open.back() + ">", false;
  return true;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

TEST(Svg, IsWellFormedWithOneLanePerWorkerAndOnePerCpu) {
  measured_run four = sample_run();
  four.workers = 4;  // two idle workers still get a lane
  const std::string svg = to_svg({sample_run(), four});
  std::string why;
  EXPECT_TRUE(well_formed(svg, why)) << why;
  EXPECT_EQ(svg.rfind("<?xml", 0), 0U);
  EXPECT_EQ(count(svg, "class=\"lane worker\""), 2U + 4U);
  EXPECT_EQ(count(svg, "class=\"lane cpu\""), 2U + 2U);
  EXPECT_EQ(count(svg, "class=\"slice\""), 2U * 5U);
  EXPECT_EQ(count(svg, "class=\"preempted\""), 2U * 4U);
  EXPECT_EQ(count(svg, "class=\"wait\""), 2U * 1U);
  EXPECT_EQ(count(svg, "<path class=\"in-flight\""), 2U) << "a count chart per run";
  // Where each worker's time went: a stacked bar per worker of the run that has the split.
  EXPECT_EQ(count(svg, "class=\"worker-split\""), 2U * 2U);
  EXPECT_NE(svg.find("worker 1: preempted 20.0 ms (33.3%)"), std::string::npos) << svg;
  EXPECT_EQ(count(svg, "<path class=\"running\""), 2U);
  EXPECT_NE(svg.find("— concurrent"), std::string::npos);
  EXPECT_NE(svg.find("-hatch)"), std::string::npos) << "waits are hatched";
}

/// sample_run as a task graph: task 2 after task 0 (40 + 20 ms), task 1 (40 ms) beside them.
measured_run sample_graph_run() {
  measured_run r = sample_run();
  r.workload = "graph";
  r.representative.after = {{}, {}, {0}};
  for (auto& rec : r.representative.records) rec.failure = failure_kind::none;
  r.graph = analyse_graph(r.representative, 1);
  return r;
}

TEST(CriticalPath, IsALaneOfTheTerminalTimeline) {
  const measured_run run = sample_graph_run();
  ASSERT_TRUE(run.graph);
  ASSERT_EQ(run.graph->critical_path, (std::vector<std::size_t>{0, 2}));
  std::string lane;
  for (const auto& line : lines_of(format_timeline(run, {40, false}))) {
    if (line.rfind("critical ", 0) == 0) lane = line.substr(line.find('|'));
  }
  ASSERT_EQ(lane.size(), 42U) << format_timeline(run, {40, false});
  // Task 0 for its 40 ms (two thirds of the 40 columns), then task 2; never task 1.
  EXPECT_EQ(lane.substr(1, 26), std::string(26, '0')) << lane;
  EXPECT_EQ(lane.substr(28, 13), std::string(13, '2')) << lane;
  EXPECT_EQ(lane.find('1'), std::string::npos) << lane;
  EXPECT_EQ(format_timeline(sample_run(), {40, false}).find("critical"), std::string::npos)
      << "a bag of tasks has no critical lane";
}

TEST(CriticalPath, IsDrawnOnTheSvgTimelineWithTheGraphColouredBySlack) {
  const std::string svg = to_svg({sample_graph_run()});
  std::string why;
  EXPECT_TRUE(well_formed(svg, why)) << why;
  EXPECT_EQ(count(svg, "class=\"task critical\""), 2U) << "tasks 0 and 2 underlined";
  EXPECT_EQ(count(svg, "<g class=\"critical-path\""), 1U);
  EXPECT_NE(svg.find("task 0 ended, task 2 started 0.000 ms later"), std::string::npos);
  // The graph: three tasks in two layers, one edge (on the path); task 1's slack is 20 ms.
  EXPECT_EQ(count(svg, "<svg class=\"task-graph\""), 1U);
  EXPECT_NE(svg.find("data-tasks=\"3\" data-edges=\"1\""), std::string::npos);
  EXPECT_EQ(count(svg, "<line class=\"critical\""), 1U);
  EXPECT_NE(svg.find("data-task=\"1\" data-slack=\"0.020000\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("data-task=\"2\" data-slack=\"0.000000\""), std::string::npos);
  EXPECT_EQ(to_svg({sample_run()}).find("task-graph"), std::string::npos) << "no graph, no drawing";
  // The HTML report draws it in the run's section, and a saved result draws it again.
  EXPECT_EQ(count(to_html_report(sample_machine(), {sample_graph_run()}, {}),
                  "<svg class=\"task-graph\""),
            1U);
  const saved_result saved = read_result_json(to_json(sample_machine(), {sample_graph_run()}));
  EXPECT_EQ(count(to_svg(saved.runs), "<line class=\"critical\""), 1U);
}

/// sample_run as a pipeline of 3 items through 1 stage, 2 tokens: items 0 and 1 in flight for
/// 40 ms, then item 2 for 20 ms.
measured_run sample_pipeline_run() {
  measured_run r = sample_graph_run();
  r.workload = "pipeline";
  pipeline_figures f;
  f.items = 3;
  f.stages = 1;
  f.tokens = 2;
  r.pipeline = f;
  return r;
}

TEST(PipelineQueue, ItsItemsInFlightAreALaneOfEveryTimeline) {
  const measured_run run = sample_pipeline_run();
  const auto steps = items_in_flight(run.representative, 1);
  ASSERT_EQ(steps.size(), 3U);
  EXPECT_EQ(steps[0].count, 2U);  // items 0 and 1 enter together
  EXPECT_EQ(steps[1].count, 1U);  // both leave at 40 ms as item 2 enters
  EXPECT_EQ(steps[1].t_ns, t0 + 40 * ms);
  EXPECT_EQ(steps[2].count, 0U);
  std::string lane;
  const std::string text = format_timeline(run, {40, false});
  for (const auto& line : lines_of(text)) {
    if (line.rfind("items ", 0) == 0) lane = line.substr(line.find('|'));
  }
  ASSERT_EQ(lane.size(), 42U) << text;
  EXPECT_EQ(lane.substr(1, 26), std::string(26, '2')) << lane;  // full: 2 tokens
  EXPECT_EQ(lane.substr(28, 13), std::string(13, '1')) << lane;
  EXPECT_NE(text.find("2 tokens: at 2 the queue is full"), std::string::npos) << text;
  EXPECT_EQ(format_timeline(sample_graph_run(), {40, false}).find("items "), std::string::npos)
      << "a graph that is not the pipeline workload has no items lane";
  const std::string svg = to_svg({run});
  std::string why;
  EXPECT_TRUE(well_formed(svg, why)) << why;
  EXPECT_EQ(count(svg, "<g class=\"pipeline-items\""), 1U);
  EXPECT_NE(svg.find("(peak 2 of 2 tokens)"), std::string::npos);
  EXPECT_EQ(count(svg, "<line class=\"tokens\""), 1U);
  EXPECT_EQ(to_svg({sample_graph_run()}).find("pipeline-items"), std::string::npos);
  // A saved result draws it again.
  const saved_result saved = read_result_json(to_json(sample_machine(), {run}));
  EXPECT_EQ(count(to_svg(saved.runs), "<g class=\"pipeline-items\""), 1U);
}

TEST(HtmlReport, IsSelfContainedAndHasEveryRun) {
  measured_run untimed = sample_run();
  untimed.executor = "processes";
  untimed.representative.recorded.events.clear();
  const std::string html =
      to_html_report(sample_machine(), {sample_run(), untimed}, {"threads took turns"});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_EQ(count(html, "<section class=\"run\""), 1U) << "only runs with a timeline";
  EXPECT_EQ(count(html, "<tr><td class=\"name\">cpu</td>"), 2U) << "every run in the table";
  EXPECT_NE(html.find("Test CPU &lt;fast&gt; &amp; cheap"), std::string::npos) << "escaped";
  EXPECT_NE(html.find("<li>threads took turns</li>"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // Where the cores went: a CPU ran a task 42 of the 60 ms (ideal on one core: tasks 0 and 1
  // taking turns, then task 2's last 2 ms), none during task 2's 18 ms wait.
  EXPECT_EQ(count(html, "<div class=\"busy\""), 1U);
  EXPECT_NE(html.find(">ideal 70%<"), std::string::npos) << html;
  EXPECT_NE(html.find(">idle 30%<"), std::string::npos);
  EXPECT_EQ(count(html, "class=\"worker-split\""), 2U) << "a bar per worker";
  EXPECT_NE(html.find("<li>accounts: taken 40 times, 30% contended, waited 9.0 ms (median 0.50 "
                      "ms, max 2.0 ms), held 20.0 ms (median 0.50 ms)</li>"),
            std::string::npos)
      << "the locks, each in a line";
  EXPECT_NE(html.find("peak RSS"), std::string::npos) << "memory per model";
  EXPECT_NE(html.find("2 child processes: RSS 64.0M, PSS 40.0M, USS 1.0M"), std::string::npos);
}

TEST(SavedResult, ReadsBackWhatToJsonWrote) {
  const measured_run original = sample_run();
  const saved_result saved = read_result_json(to_json(sample_machine(), {original}));
  EXPECT_EQ(saved.machine.cpu_model, "Test CPU <fast> & cheap");
  EXPECT_EQ(saved.machine.affinity, std::vector<int>{0});
  ASSERT_EQ(saved.runs.size(), 1U);
  const measured_run& r = saved.runs[0];
  EXPECT_EQ(r.executor, "threads");
  EXPECT_EQ(r.workers, 2U);
  EXPECT_EQ(r.concurrency.result, original.concurrency.result);
  EXPECT_EQ(r.concurrency.peak_running, original.concurrency.peak_running);
  EXPECT_EQ(r.concurrency.preemptions, original.concurrency.preemptions);
  EXPECT_DOUBLE_EQ(r.concurrency.avg_parallelism, original.concurrency.avg_parallelism);
  ASSERT_EQ(r.representative.recorded.events.size(),
            original.representative.recorded.events.size());
  for (std::size_t k = 0; k < r.representative.recorded.events.size(); ++k) {
    const event& a = r.representative.recorded.events[k];
    const event& b = original.representative.recorded.events[k];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.task, b.task);
    EXPECT_EQ(a.worker, b.worker);
    EXPECT_EQ(a.cpu, b.cpu);
    EXPECT_EQ(a.wait, b.wait);
    EXPECT_EQ(a.start_ns, b.start_ns - t0);
    EXPECT_EQ(a.end_ns, b.end_ns - t0);
  }
  EXPECT_EQ(r.representative.records.size(), 3U);
  EXPECT_EQ(r.cores_busy, original.cores_busy);
  ASSERT_EQ(r.worker_time.size(), original.worker_time.size());
  for (std::size_t w = 0; w < r.worker_time.size(); ++w) {
    EXPECT_EQ(r.worker_time[w].ns, original.worker_time[w].ns) << "worker " << w;
  }
  EXPECT_EQ(r.minor_faults, 321);
  ASSERT_EQ(r.hazards.size(), 2U);
  EXPECT_EQ(r.hazards[0].kind, "noisy");
  EXPECT_EQ(r.hazards[0].message, original.hazards[0].message);
  EXPECT_FALSE(r.hazards[0].intended);
  EXPECT_TRUE(r.hazards[1].intended) << "an intended case stays one when read back";
  ASSERT_TRUE(r.children.has_value());
  EXPECT_EQ(r.children->processes, 2U);
  EXPECT_EQ(r.children->pss_bytes, 40 << 20);
  EXPECT_EQ(r.children->uss_bytes, 1 << 20);
  ASSERT_EQ(r.locks.size(), 1U);
  EXPECT_EQ(r.locks[0].name, "accounts");
  EXPECT_EQ(r.locks[0].lock, 3U);
  EXPECT_EQ(r.locks[0].acquisitions, 40U);
  EXPECT_EQ(r.locks[0].contended, 12U);
  EXPECT_EQ(r.locks[0].wait_total_ns, 9 * ms);
  EXPECT_EQ(r.locks[0].hold_median_ns, ms / 2);
  ASSERT_TRUE(r.busy.has_value());
  EXPECT_DOUBLE_EQ(r.busy->ideal, original.busy->ideal);
  EXPECT_DOUBLE_EQ(r.busy->idle, original.busy->idle);
  // The same pictures come out of the saved run (up to the clock origin).
  EXPECT_EQ(format_timeline(r, {60, false}), format_timeline(original, {60, false}));
}

TEST(SavedResult, TheSwitchRecordsComeBackAndGiveTheSameCriticalPath) {
  // The main thread (tid 10) starts two threads and waits; 12 runs a moment and waits for 11,
  // which runs 1-30 ms on CPU 0 and wakes it; 12 runs 30-55 ms on CPU 1 and wakes the main
  // thread, which ends at 60 ms.
  measured_run original = sample_run();
  switch_schedule x;
  x.start_ns = t0;
  x.end_ns = t0 + 60 * ms;
  x.wakers = true;
  x.root_tid = 10;
  const auto stretch = [](std::int64_t a, std::int64_t b, std::int32_t tid, std::int16_t cpu) {
    on_cpu_interval i;
    i.start_ns = t0 + a;
    i.end_ns = t0 + b;
    i.pid = 10;
    i.tid = tid;
    i.cpu = cpu;
    return i;
  };
  x.intervals = {stretch(0, 1 * ms, 10, 1), stretch(1 * ms, 30 * ms, 11, 0),
                 stretch(1 * ms, 2 * ms, 12, 1), stretch(30 * ms, 55 * ms, 12, 1),
                 stretch(56 * ms, 60 * ms, 10, 1)};
  x.wakeups = {{t0 + 30 * ms, 10, 11, 10, 12}, {t0 + 55 * ms, 10, 12, 10, 10}};
  x.starts = {{t0, 10, 10, 10, 11}, {t0 + ms / 2, 10, 10, 10, 12}};
  x.names = {{10, 10, "parlab"}};
  original.representative.exact = x;
  const saved_result saved = read_result_json(to_json(sample_machine(), {original}));
  ASSERT_EQ(saved.runs.size(), 1U);
  const auto& back = saved.runs[0].representative;
  ASSERT_TRUE(back.exact.has_value());
  EXPECT_TRUE(back.exact->wakers);
  EXPECT_EQ(back.exact->wakeups.size(), 2U);
  EXPECT_EQ(back.exact->starts.size(), 2U);
  ASSERT_EQ(back.exact->names.size(), 1U);
  EXPECT_EQ(back.exact->names[0].name, "parlab");
  const auto before = program_critical_path(x, t0, t0 + 60 * ms);
  const auto after = program_critical_path(*back.exact, back.start_ns, back.end_ns);
  ASSERT_EQ(after.size(), before.size());
  ASSERT_GE(before.size(), 3U);
  for (std::size_t k = 0; k < before.size(); ++k) {
    EXPECT_EQ(after[k].tid, before[k].tid);
    EXPECT_EQ(after[k].how, before[k].how);
    EXPECT_EQ(after[k].end_ns - after[k].start_ns, before[k].end_ns - before[k].start_ns);
  }
  // The path went through both threads the main thread waited for.
  std::set<std::int32_t> through;
  for (const auto& st : after) through.insert(st.tid);
  EXPECT_TRUE(through.contains(11) && through.contains(12));
}

TEST(SavedResult, RejectsWhatIsNotAParlabResult) {
  for (const std::string bad :
       {"not json", "{\"a\": 1}", "{\"schema\": \"other/1\"}",
        "{\"schema\": \"parlab.result/1\", \"machine\": {}}",
        "{\"schema\": \"parlab.result/1\", \"machine\": {}, \"runs\": [{\"executor\": \"x\"}]}"}) {
    EXPECT_THROW((void)read_result_json(bad), std::invalid_argument) << bad;
  }
}

TEST(Table, WarnsAboutHazardsAndExplainsTheCasesAskedFor) {
  const std::string table = format_table({sample_run()});
  EXPECT_NE(table.find("warning: threads W=2: its 3 runs spread 12%"), std::string::npos) << table;
  EXPECT_NE(table.find("the point of this case: threads W=2: 2 workers on 1 usable cores"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("warning: threads W=2: 2 workers"), std::string::npos)
      << "a case the user asked for is no warning:\n"
      << table;
}

}  // namespace
}  // namespace parlab
