// The SVG timeline: per run, a lane per worker and a lane per CPU over a time axis, with the
// verdict and key figures as the title. Also used inline by the HTML report.

#include <parlab/clock.hpp>
#include <parlab/pictures.hpp>
#include <parlab/timeline_analysis.hpp>

#include "report/drawing.hpp"
#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace parlab {
namespace detail {
namespace {

constexpr double kWidth = 1000.0;
constexpr double kLeft = 92.0;  // lane labels
constexpr double kRight = 16.0;
constexpr double kLane = 20.0;
constexpr double kCpuLane = 12.0;
constexpr double kGapBetween = 4.0;
constexpr double kHeader = 44.0;
constexpr double kAxis = 26.0;
constexpr double kCounts = 30.0;      // tasks in flight / running over time
constexpr double kSplitTitle = 18.0;  // "where each worker's time went"
constexpr double kSplitBar = 12.0;    // one worker's stacked bar
constexpr std::string_view kCriticalColour = "#c0392b";

std::string colour(std::uint32_t task, int lightness = 55) {
  return fmt::format("hsl({},65%,{}%)", task_hue(task), lightness);
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

double svg_run_height(const measured_run& run) {
  const double lanes = static_cast<double>(lane_count(run));
  const double cpus = static_cast<double>(cpus_used(run).size());
  const double split = run.worker_time.empty()
                           ? 0.0
                           : kSplitTitle + static_cast<double>(run.worker_time.size()) * kSplitBar;
  const double items = occupancy_of(run).steps.empty() ? 0.0 : kCounts;
  return kHeader + lanes * (kLane + kGapBetween) + 6.0 + cpus * (kCpuLane + 2.0) + 4.0 + kCounts +
         items + kAxis + split;
}

namespace {
/// One stacked bar per lane: where its wall time went (wait reasons), under the time axis.
std::string svg_time_split(const measured_run& run, double y) {
  const double plot = kWidth - kLeft - kRight;
  std::string out = fmt::format(
      "<g class=\"time-split\"><text x=\"4\" y=\"{:.1f}\" font-family=\"sans-serif\" "
      "font-size=\"11\" fill=\"#444\">where each {}'s {} went:</text>\n",
      y + 12.0, lane_noun(run), millis(run.representative.wall_seconds()));
  // A key of the reasons' colours on the same line.
  for (std::size_t i = 0; i < time_reason_count; ++i) {
    const auto reason = static_cast<time_reason>(i);
    const double x = 230.0 + 82.0 * static_cast<double>(i);
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"9\" fill=\"{}\" stroke=\"#bbb\" "
        "stroke-width=\"0.5\"/><text x=\"{:.1f}\" y=\"{:.1f}\" font-family=\"sans-serif\" "
        "font-size=\"10\" fill=\"#444\">{}</text>\n",
        x, y + 4.0, reason_colour(reason), x + 13.0, y + 12.0, to_string(reason));
  }
  y += kSplitTitle;
  for (std::size_t w = 0; w < run.worker_time.size(); ++w) {
    const time_split& split = run.worker_time[w];
    const double total = static_cast<double>(std::max<std::int64_t>(split.total(), 1));
    out += fmt::format(
        "<g class=\"worker-split\" data-worker=\"{}\"><text x=\"4\" y=\"{:.1f}\" "
        "font-family=\"sans-serif\" font-size=\"9\">{}</text>",
        w, y + 8.0, xml_escape(lane_label(run, w, 7)));
    double x = kLeft;
    for (std::size_t i = 0; i < time_reason_count; ++i) {
      if (split.ns[i] <= 0) continue;
      const auto reason = static_cast<time_reason>(i);
      const double share = static_cast<double>(split.ns[i]) / total;
      const double width = plot * share;
      out += fmt::format(
          "<rect class=\"reason-{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.0f}\" "
          "fill=\"{}\"><title>{}: {} {} ({:.1f}%)</title></rect>",
          to_string(reason), x, y, width, kSplitBar - 3.0, reason_colour(reason),
          xml_escape(lane_label(run, w, 200)), to_string(reason), millis(to_seconds(split.ns[i])),
          share * 100.0);
      x += width;
    }
    out += "</g>\n";
    y += kSplitBar;
  }
  return out + "</g>\n";
}
}  // namespace

std::string svg_run(const measured_run& run, const std::string& id, double y) {
  const run_result& rep = run.representative;
  const auto& events = rep.recorded.events;
  const std::int64_t origin = rep.start_ns;
  const std::int64_t end = timeline_end(run);
  const double span = static_cast<double>(std::max<std::int64_t>(end - origin, 1));
  const double plot = kWidth - kLeft - kRight;
  auto x_of = [&](std::int64_t t) { return kLeft + plot * static_cast<double>(t - origin) / span; };
  auto w_of = [&](const event& e) {
    return std::max(0.3, plot * static_cast<double>(e.end_ns - e.start_ns) / span);
  };
  const double height = svg_run_height(run);
  const std::size_t lanes = lane_count(run);
  const std::vector<int> cpus = cpus_used(run);
  const bool cluster = run.representative.cluster.has_value();

  std::string out = fmt::format(
      "<svg class=\"run-timeline\" id=\"{0}\" x=\"0\" y=\"{1:.1f}\" width=\"{2:.0f}\" "
      "height=\"{3:.1f}\" viewBox=\"0 0 {2:.0f} {3:.1f}\" data-workers=\"{4}\" "
      "data-verdict=\"{5}\">\n",
      id, y, kWidth, height, lanes, to_string(run.concurrency.result));
  out += fmt::format(
      "<defs><pattern id=\"{0}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"white\" "
      "fill-opacity=\"0.55\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#333\" "
      "stroke-width=\"1.5\" stroke-opacity=\"0.45\"/></pattern>"
      "<pattern id=\"{0}-gap\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(-45)\"><rect width=\"4\" height=\"4\" fill=\"#e2e2e2\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"#9a9a9a\" stroke-width=\"1.2\"/>"
      "</pattern></defs>\n",
      id);
  out += fmt::format(
      "<text x=\"4\" y=\"17\" font-family=\"sans-serif\" font-size=\"14\" font-weight=\"bold\">"
      "{} — {}</text>\n<text x=\"4\" y=\"34\" font-family=\"sans-serif\" font-size=\"11\" "
      "fill=\"#444\">{}</text>\n",
      xml_escape(run_name(run)), to_string(run.concurrency.result), xml_escape(run_figures(run)));

  // A graph's critical path: its tasks outlined, and a line from each one's end to the next's
  // start (drawn after the lanes, over them).
  const std::vector<critical_step> critical = critical_steps(run);
  std::vector<bool> on_path;
  for (const auto& c : critical) {
    if (c.task >= on_path.size()) on_path.resize(c.task + 1, false);
    on_path[c.task] = true;
  }
  auto critical_task = [&](std::uint32_t task) { return task < on_path.size() && on_path[task]; };

  double lane_y = kHeader;
  for (std::size_t w = 0; w < lanes; ++w) {
    out += fmt::format(
        "<g class=\"lane worker\" data-worker=\"{0}\"><text x=\"4\" y=\"{1:.1f}\" "
        "font-family=\"sans-serif\" font-size=\"{7}\"><title>{8}</title>{2}</text><rect "
        "x=\"{3:.1f}\" y=\"{4:.1f}\" width=\"{5:.1f}\" height=\"{6:.0f}\" fill=\"#f6f6f6\"/>\n",
        w, lane_y + 14.0, xml_escape(lane_label(run, w, cluster ? 7 : 24)), kLeft, lane_y, plot,
        kLane, cluster ? 9 : 11, xml_escape(lane_label(run, w, 200)));
    for (const auto& e : events) {
      if (e.worker != w) continue;
      const double x = x_of(e.start_ns);
      const double wd = w_of(e);
      const double ms_start = static_cast<double>(e.start_ns - origin) * 1e-6;
      const double ms_len = static_cast<double>(e.end_ns - e.start_ns) * 1e-6;
      switch (e.kind) {
        case event_kind::task:  // lifetime: a thin line under the lane, red on the path
          out += fmt::format(
              "<rect class=\"task{}\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{}\" "
              "fill=\"{}\"><title>task {} on {}: {:.2f} ms from {:.2f} ms{}</title></rect>\n",
              critical_task(e.task) ? " critical" : "", x,
              lane_y + kLane - (critical_task(e.task) ? 3.0 : 2.0), wd,
              critical_task(e.task) ? 3 : 2,
              critical_task(e.task) ? std::string(kCriticalColour) : colour(e.task, 35), e.task,
              xml_escape(lane_label(run, w, 200)), ms_len, ms_start,
              critical_task(e.task) ? ", on the critical path" : "");
          break;
        case event_kind::slice:
          out += fmt::format(
              "<rect class=\"slice\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.0f}\" "
              "fill=\"{}\"{}><title>task {} running on CPU {}: {:.3f} ms from {:.3f} ms</title>"
              "</rect>\n",
              x, lane_y + 2.0, wd, kLane - 5.0, colour(e.task),
              critical_task(e.task)
                  ? fmt::format(" stroke=\"{}\" stroke-width=\"1.2\"", kCriticalColour)
                  : std::string(),
              e.task, e.cpu, ms_len, ms_start);
          break;
        case event_kind::preempted:
          out += fmt::format(
              "<rect class=\"preempted\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
              "height=\"{:.0f}\" fill=\"url(#{}-gap)\"><title>task {} preempted: the kernel ran "
              "something else for {:.3f} ms</title></rect>\n",
              x, lane_y + 2.0, wd, kLane - 5.0, id, e.task, ms_len);
          break;
        case event_kind::wait:
          out += fmt::format(
              "<rect class=\"wait\" x=\"{0:.2f}\" y=\"{1:.1f}\" width=\"{2:.2f}\" "
              "height=\"{3:.0f}\" fill=\"{4}\"/><rect x=\"{0:.2f}\" y=\"{1:.1f}\" "
              "width=\"{2:.2f}\" height=\"{3:.0f}\" fill=\"url(#{5}-hatch)\"><title>task {6} "
              "waiting ({8}, no CPU) for {7:.3f} ms</title></rect>\n",
              x, lane_y + 2.0, wd, kLane - 5.0, colour(e.task, 75), id, e.task, ms_len,
              wait_description(e.wait));
          break;
        case event_kind::gil_wait:
          out += fmt::format(
              "<rect class=\"gil-wait\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"6\" "
              "fill=\"#d62728\"><title>waiting for the GIL for {:.3f} ms</title></rect>\n",
              x, lane_y + 8.0, wd, ms_len);
          break;
        case event_kind::gil_hold:
          out += fmt::format(
              "<rect class=\"gil-hold\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"2\" "
              "fill=\"#222\"><title>holding the GIL for {:.3f} ms</title></rect>\n",
              x, lane_y, wd, ms_len);
          break;
        case event_kind::ready:
          out += fmt::format(
              "<rect class=\"ready\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"6\" "
              "fill=\"{}\"><title>task {} ready: woken, waiting {:.3f} ms for a CPU</title>"
              "</rect>\n",
              x, lane_y + 8.0, wd, reason_colour(time_reason::ready), e.task, ms_len);
          break;
        case event_kind::lock_wait:
          out += fmt::format(
              "<rect class=\"lock-wait\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
              "height=\"6\" fill=\"{}\"><title>task {} waiting {:.3f} ms for lock {}</title>"
              "</rect>\n",
              x, lane_y + 8.0, wd, reason_colour(time_reason::lock), e.task, ms_len, e.object);
          break;
        case event_kind::lock_hold:
          out += fmt::format(
              "<rect class=\"lock-hold\" x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" "
              "height=\"2\" fill=\"hsl({},80%,35%)\"><title>task {} holding lock {} for "
              "{:.3f} ms</title></rect>\n",
              x, lane_y, wd, task_hue(e.object + 7), e.task, e.object, ms_len);
          break;
        case event_kind::queued:
          break;
      }
    }
    out += "</g>\n";
    lane_y += kLane + kGapBetween;
  }
  if (critical.size() > 1) {
    auto mid = [&](std::size_t worker) {
      return kHeader + static_cast<double>(worker) * (kLane + kGapBetween) + kLane / 2.0;
    };
    out += "<g class=\"critical-path\" fill=\"none\" stroke-width=\"1.5\">";
    for (std::size_t k = 1; k < critical.size(); ++k) {
      const critical_step& from = critical[k - 1];
      const critical_step& to = critical[k];
      out += fmt::format(
          "<path d=\"M{:.2f},{:.1f} L{:.2f},{:.1f}\" stroke=\"{}\" stroke-dasharray=\"3,2\">"
          "<title>critical path: task {} ended, task {} started {:.3f} ms later</title></path>",
          x_of(from.end_ns), mid(from.worker), x_of(to.start_ns), mid(to.worker), kCriticalColour,
          from.task, to.task, static_cast<double>(to.start_ns - from.end_ns) * 1e-6);
    }
    out += "</g>\n";
  }
  lane_y += 6.0;
  for (int cpu : cpus) {
    out += fmt::format(
        "<g class=\"lane cpu\" data-cpu=\"{0}\"><text x=\"4\" y=\"{1:.1f}\" "
        "font-family=\"sans-serif\" font-size=\"10\" fill=\"#555\">CPU {0}</text><rect "
        "x=\"{2:.1f}\" y=\"{3:.1f}\" width=\"{4:.1f}\" height=\"{5:.0f}\" fill=\"#fbfbfb\" "
        "stroke=\"#ddd\" stroke-width=\"0.5\"/>\n",
        cpu, lane_y + 10.0, kLeft, lane_y, plot, kCpuLane);
    for (const auto& e : events) {
      if (e.kind != event_kind::slice || e.cpu != cpu) continue;
      out += fmt::format(
          "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.0f}\" fill=\"{}\"/>\n",
          x_of(e.start_ns), lane_y + 1.0, w_of(e), kCpuLane - 2.0, colour(e.task));
    }
    out += "</g>\n";
    lane_y += kCpuLane + 2.0;
  }
  // A step function as a path on a count lane whose top is at `lane`, `top` filling it; an area
  // closes down to the base.
  const auto step_path = [&](const std::vector<step_point>& steps, double lane, double top,
                             bool area) {
    const double base = lane + kCounts - 2.0;
    auto y_of = [&](std::size_t n) {
      return base - (kCounts - 6.0) * static_cast<double>(n) / top;
    };
    std::string d = fmt::format("M{:.2f},{:.1f}", kLeft, base);
    double level = base;
    for (const auto& st : steps) {
      const double x = x_of(st.t_ns);
      d += fmt::format(" L{:.2f},{:.1f} L{:.2f},{:.1f}", x, level, x, y_of(st.count));
      level = y_of(st.count);
    }
    d += fmt::format(" L{:.2f},{:.1f}", kLeft + plot, level);
    if (area) d += fmt::format(" L{:.2f},{:.1f} Z", kLeft + plot, base);
    return d;
  };
  // Tasks in flight (grey area) and running (dark line) over time, on one scale.
  lane_y += 4.0;
  {
    const auto in_flight = tasks_in_flight(events);
    const auto running = tasks_running(events);
    const double top = static_cast<double>(std::max<std::size_t>(peak(in_flight), 1));
    const auto path = [&](const std::vector<step_point>& steps, bool area) {
      return step_path(steps, lane_y, top, area);
    };
    out += fmt::format(
        "<g class=\"counts\"><text x=\"4\" y=\"{0:.1f}\" font-family=\"sans-serif\" "
        "font-size=\"10\" fill=\"#555\">in flight</text><text x=\"4\" y=\"{1:.1f}\" "
        "font-family=\"sans-serif\" font-size=\"10\" fill=\"#222\">running</text>"
        "<path class=\"in-flight\" d=\"{2}\" fill=\"#ddd\" stroke=\"#bbb\" stroke-width=\"0.5\">"
        "<title>tasks in flight (peak {4})</title></path><path class=\"running\" d=\"{3}\" "
        "fill=\"none\" stroke=\"#222\" stroke-width=\"1.2\"><title>tasks running (peak {5})"
        "</title></path><text x=\"{6:.1f}\" y=\"{7:.1f}\" font-family=\"sans-serif\" "
        "font-size=\"9\" fill=\"#555\" text-anchor=\"end\">{4}</text></g>\n",
        lane_y + 12.0, lane_y + 24.0, path(in_flight, true), path(running, false),
        run.concurrency.peak_in_flight, run.concurrency.peak_running, kLeft - 3.0, lane_y + 9.0);
    lane_y += kCounts;
  }
  // A pipeline's queue: its items in flight over time (an area), its tokens (a dashed line).
  if (const pipeline_occupancy items = occupancy_of(run); !items.steps.empty()) {
    const double top = static_cast<double>(std::max<std::size_t>({items.tokens, items.peak, 1}));
    const double base = lane_y + kCounts - 2.0;
    auto y_of = [&](std::size_t n) {
      return base - (kCounts - 6.0) * static_cast<double>(n) / top;
    };
    const std::string d = step_path(items.steps, lane_y, top, true);
    out += fmt::format(
        "<g class=\"pipeline-items\"><text x=\"4\" y=\"{0:.1f}\" font-family=\"sans-serif\" "
        "font-size=\"10\" fill=\"#555\">items</text><path d=\"{1}\" fill=\"hsl(140,45%,80%)\" "
        "stroke=\"hsl(140,45%,40%)\" stroke-width=\"0.6\"><title>a pipeline's items in flight, "
        "first stage started to last ended (peak {2} of {3} token{4})</title></path>"
        "<line class=\"tokens\" x1=\"{5:.1f}\" y1=\"{6:.1f}\" x2=\"{7:.1f}\" y2=\"{6:.1f}\" "
        "stroke=\"{8}\" stroke-dasharray=\"4 3\"><title>{3} token{4}: with this many items in "
        "flight the first stage waits</title></line><text x=\"{9:.1f}\" y=\"{10:.1f}\" "
        "font-family=\"sans-serif\" font-size=\"9\" fill=\"#555\" text-anchor=\"end\">{3}</text>"
        "</g>\n",
        lane_y + 12.0, d, items.peak, items.tokens, items.tokens == 1 ? "" : "s", kLeft,
        y_of(items.tokens), kLeft + plot, kCriticalColour, kLeft - 3.0, y_of(items.tokens) + 3.0);
    lane_y += kCounts;
  }

  // Time axis with five ticks.
  const double axis_y = lane_y + 4.0;
  out += fmt::format(
      "<g class=\"axis\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#444\"><line "
      "x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#888\"/>\n",
      kLeft, axis_y, kLeft + plot, axis_y);
  for (int q = 0; q <= 4; ++q) {
    const double x = kLeft + plot * q / 4.0;
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#888\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"{4}\">{5}</text>\n",
        x, axis_y, axis_y + 4.0, axis_y + 15.0, q == 0 ? "start" : (q == 4 ? "end" : "middle"),
        millis(span * 1e-9 * q / 4.0));
  }
  out += "</g>\n";
  if (!run.worker_time.empty()) out += svg_time_split(run, axis_y + kAxis - 4.0);
  out += "</svg>\n";
  return out;
}

std::string svg_legend(double y) {
  return fmt::format(
      "<g class=\"legend\" font-family=\"sans-serif\" font-size=\"11\" "
      "transform=\"translate(4,{0:.1f})\">"
      "<rect x=\"0\" y=\"0\" width=\"14\" height=\"10\" fill=\"hsl(200,65%,55%)\"/>"
      "<text x=\"18\" y=\"9\">running (a colour per task)</text>"
      "<rect x=\"190\" y=\"0\" width=\"14\" height=\"10\" fill=\"#e2e2e2\" stroke=\"#9a9a9a\"/>"
      "<text x=\"208\" y=\"9\">preempted (kernel ran another)</text>"
      "<rect x=\"400\" y=\"0\" width=\"14\" height=\"10\" fill=\"hsl(200,65%,75%)\" "
      "stroke=\"#666\" stroke-dasharray=\"2,2\"/><text x=\"418\" y=\"9\">waiting (hatched, no "
      "CPU)</text><rect x=\"580\" y=\"2\" width=\"14\" height=\"6\" fill=\"#d62728\"/>"
      "<text x=\"598\" y=\"9\">waiting for the GIL</text><rect x=\"730\" y=\"0\" width=\"14\" "
      "height=\"2\" fill=\"#222\"/><text x=\"748\" y=\"9\">holding the GIL</text>"
      "<rect x=\"0\" y=\"16\" width=\"14\" height=\"6\" fill=\"{1}\"/><text x=\"18\" "
      "y=\"24\">ready (woken, waiting for a CPU)</text><rect x=\"240\" y=\"16\" width=\"14\" "
      "height=\"6\" fill=\"{2}\"/><text x=\"258\" y=\"24\">waiting for a lock</text>"
      "<rect x=\"400\" y=\"15\" width=\"14\" height=\"2\" fill=\"hsl(40,80%,35%)\"/>"
      "<text x=\"418\" y=\"24\">holding a lock (a colour per lock)</text>"
      "<rect x=\"640\" y=\"15\" width=\"14\" height=\"3\" fill=\"{3}\"/><path "
      "d=\"M656,19 L668,13\" stroke=\"{3}\" stroke-dasharray=\"3,2\"/><text x=\"674\" "
      "y=\"24\">a task graph's critical path</text></g>\n",
      y, reason_colour(time_reason::ready), reason_colour(time_reason::lock), kCriticalColour);
}

}  // namespace detail

std::string to_svg(const std::vector<measured_run>& runs) {
  std::string body;
  double y = 38.0;  // below the legend's two rows
  std::size_t n = 0;
  for (const auto& run : runs) {
    if (!detail::has_timeline(run)) continue;
    body += detail::svg_run(run, fmt::format("run{}", n), y);
    y += detail::svg_run_height(run) + 12.0;
    if (detail::draws_graph(run)) {
      body += detail::svg_graph(run, fmt::format("graph{}", n), y);
      y += detail::svg_graph_height(run) + 12.0;
    }
    ++n;
  }
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"1000\" height=\"{0:.0f}\" viewBox=\"0 0 1000 {0:.0f}\">\n"
      "<rect width=\"1000\" height=\"{0:.0f}\" fill=\"white\"/>\n",
      y);
  out += n == 0 ? "<text x=\"4\" y=\"16\" font-family=\"sans-serif\" font-size=\"12\">no "
                  "timeline recorded</text>\n"
                : detail::svg_legend(4.0);
  out += body + "</svg>\n";
  return out;
}

}  // namespace parlab
