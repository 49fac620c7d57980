// The sweep: runs, then CSV and HTML with hand-made SVG line charts (axes, five ticks,
// one polyline per series, a legend). Numbers are formatted for people here; nothing
// in this file reaches a digest.

#include "simulation/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "simulation/run.hpp"

namespace concert::sim {

namespace {

struct line {
  std::string label;
  std::vector<std::pair<double, double>> pts;
};

const char* const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                               "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

std::string num(double v) {
  std::ostringstream o;
  if (std::fabs(v) >= 100 || v == std::floor(v))
    o << std::llround(v);
  else
    o << std::fixed << std::setprecision(std::fabs(v) >= 10 ? 1 : 2) << v;
  return o.str();
}

/// A "nice" upper bound for an axis (1, 2 or 5 times a power of ten).
double nice_max(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (v <= m * p) return m * p;
  return 10 * p;
}

std::string chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<line>& lines, bool points = false) {
  const double w = 640, h = 320, l = 64, r = 150, t = 30, b = 44;
  double xmax = 0, ymax = 0;
  for (const auto& ln : lines)
    for (const auto& [x, y] : ln.pts) {
      xmax = std::max(xmax, x);
      ymax = std::max(ymax, y);
    }
  xmax = nice_max(xmax);
  ymax = nice_max(ymax);
  auto px = [&](double x) { return l + (w - l - r) * x / xmax; };
  auto py = [&](double y) { return h - b - (h - t - b) * y / ymax; };
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h
    << "' viewBox='0 0 " << w << ' ' << h << "' font-family='sans-serif' font-size='11'>\n";
  s << "<text x='" << l << "' y='18' font-size='13' font-weight='bold'>" << esc(title)
    << "</text>\n";
  for (int i = 0; i <= 5; ++i) {
    const double xv = xmax * i / 5, yv = ymax * i / 5;
    s << "<line x1='" << l << "' x2='" << w - r << "' y1='" << py(yv) << "' y2='" << py(yv)
      << "' stroke='#ddd'/>\n";
    s << "<text x='" << l - 6 << "' y='" << py(yv) + 4 << "' text-anchor='end'>" << num(yv)
      << "</text>\n";
    s << "<text x='" << px(xv) << "' y='" << h - b + 16 << "' text-anchor='middle'>" << num(xv)
      << "</text>\n";
  }
  s << "<line x1='" << l << "' x2='" << l << "' y1='" << t << "' y2='" << h - b
    << "' stroke='#333'/><line x1='" << l << "' x2='" << w - r << "' y1='" << h - b << "' y2='"
    << h - b << "' stroke='#333'/>\n";
  s << "<text x='" << (l + w - r) / 2 << "' y='" << h - 8 << "' text-anchor='middle'>"
    << esc(xlabel) << "</text>\n";
  s << "<text transform='translate(14," << (t + h - b) / 2 << ") rotate(-90)' text-anchor='middle'>"
    << esc(ylabel) << "</text>\n";
  for (size_t i = 0; i < lines.size(); ++i) {
    const char* color = palette[i % (sizeof palette / sizeof *palette)];
    s << "<polyline fill='none' stroke='" << color << "' stroke-width='1.8' points='";
    for (const auto& [x, y] : lines[i].pts) s << px(x) << ',' << py(y) << ' ';
    s << "'/>\n";
    if (points)
      for (const auto& [x, y] : lines[i].pts)
        s << "<circle cx='" << px(x) << "' cy='" << py(y) << "' r='3' fill='" << color << "'/>\n";
    s << "<rect x='" << w - r + 12 << "' y='" << t + 16 * i << "' width='12' height='3' fill='"
      << color << "'/><text x='" << w - r + 30 << "' y='" << t + 16 * i + 5 << "'>"
      << esc(lines[i].label) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

double as_number(const std::string& v, size_t index) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (const std::exception&) {
  }
  return static_cast<double>(index + 1);
}

std::string summary_table(const std::string& knob, const std::vector<std::string>& values,
                          const std::vector<run_report>& runs) {
  std::ostringstream s;
  s << "<table><tr><th>" << esc(knob)
    << "</th><th>admitted</th><th>seats sold</th><th>holds expired</th><th>wait p50 (s)</th>"
       "<th>wait p95 (s)</th><th>wait max (s)</th><th>max queue</th><th>simulated (s)</th>"
       "<th>invariants</th><th>digest</th></tr>\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    s << "<tr><td>" << esc(values[i]) << "</td><td>" << r.counts.admitted << "</td><td>"
      << r.counts.seats_sold << "</td><td>" << r.counts.holds_expired << "</td><td>"
      << num(r.wait_seconds[0]) << "</td><td>" << num(r.wait_seconds[1]) << "</td><td>"
      << num(r.wait_seconds[2]) << "</td><td>" << r.max_queue_length << "</td><td>"
      << num(r.simulated_seconds) << "</td><td>" << (r.invariants.ok ? "ok" : "VIOLATED")
      << "</td><td><code>" << r.digest << "</code></td></tr>\n";
  }
  s << "</table>\n";
  return s.str();
}

}  // namespace

bool parse_sweep(const std::string& spec, std::string& knob, std::vector<std::string>& values,
                 std::string& err) {
  const auto eq = spec.find('=');
  knob = spec.substr(0, eq);
  values.clear();
  if (eq == std::string::npos || knob.empty()) {
    err = "a sweep is knob=v1,v2,...";
    return false;
  }
  std::stringstream in{spec.substr(eq + 1)};
  for (std::string v; std::getline(in, v, ',');)
    if (!v.empty()) values.push_back(v);
  if (values.empty()) err = "the sweep lists no values";
  return !values.empty();
}

std::string sweep_csv(const std::string& knob, const std::vector<std::string>& values,
                      const std::vector<run_report>& runs) {
  std::ostringstream s;
  s << knob
    << ",seed,users,tokensIssued,admitted,holdsPlaced,holdConflicts,holdsExpired,"
       "paymentsSucceeded,seatsSold,waitP50Seconds,waitP95Seconds,waitMaxSeconds,maxQueue,"
       "simulatedSeconds,wallSeconds,operations,invariantsOk,digest\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const auto& c = r.counts;
    s << values[i] << ',' << r.seed << ',' << r.users << ',' << c.tokens_issued << ',' << c.admitted
      << ',' << c.holds_placed << ',' << c.hold_conflicts << ',' << c.holds_expired << ','
      << c.payments_succeeded << ',' << c.seats_sold << ',' << r.wait_seconds[0] << ','
      << r.wait_seconds[1] << ',' << r.wait_seconds[2] << ',' << r.max_queue_length << ','
      << r.simulated_seconds << ',' << r.wall_seconds << ',' << c.operations << ','
      << (r.invariants.ok ? "true" : "false") << ',' << r.digest << '\n';
  }
  return s.str();
}

std::string sweep_html(const std::string& knob, const std::vector<std::string>& values,
                       const std::vector<run_report>& runs, const sim_options& base) {
  std::vector<line> queue, sales, waits(2);
  waits[0].label = "p50 wait";
  waits[1].label = "p95 wait";
  for (size_t i = 0; i < runs.size(); ++i) {
    line q{knob + "=" + values[i], {}}, s{knob + "=" + values[i], {}};
    for (const auto& p : runs[i].series) {
      const double minutes = static_cast<double>(p.t) / 60e6;
      q.pts.emplace_back(minutes, static_cast<double>(p.waiting));
      s.pts.emplace_back(minutes, static_cast<double>(p.sold));
    }
    queue.push_back(std::move(q));
    sales.push_back(std::move(s));
    const double x = as_number(values[i], i);
    waits[0].pts.emplace_back(x, runs[i].wait_seconds[0] / 60);
    waits[1].pts.emplace_back(x, runs[i].wait_seconds[1] / 60);
  }
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>concert-sim sweep: " << esc(knob)
    << "</title>\n<style>body{font-family:sans-serif;margin:24px;max-width:980px}"
    << "table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    << "text-align:right}th{background:#f4f4f4}code{font-size:11px}</style></head><body>\n";
  h << "<h1>Capacity sweep over <code>" << esc(knob) << "</code></h1>\n";
  h << "<p>" << base.workload.users << " fans, seed " << base.seed
    << ", inproc mode (virtual clock). Every run is reproducible with the knobs below and "
    << "<code>--" << esc(knob) << " VALUE</code>.</p>\n";
  h << summary_table(knob, values, runs);
  h << chart("Fans waiting in line", "minutes after on-sale", "waiting fans", queue) << "\n";
  h << chart("Seats sold", "minutes after on-sale", "seats sold", sales) << "\n";
  h << chart("Wait before admission", knob, "minutes", waits, true) << "\n";
  h << "<h2>Knobs</h2><pre>" << esc(knobs_to_json(base).dump(2)) << "</pre>\n</body></html>\n";
  return h.str();
}

int run_sweep_cli(const sim_options& o) {
  std::string knob, err;
  std::vector<std::string> values;
  if (!parse_sweep(o.sweep, knob, values, err)) {
    std::cerr << err << "\n";
    return 2;
  }
  std::vector<run_report> runs;
  bool all_ok = true;
  for (const auto& v : values) {
    sim_options one = o;
    one.mode = run_mode::inproc;
    one.mode_name = "inproc";
    one.trace.clear();
    if (!set_knob(one, knob, v, err) || !finalize(one, err)) {
      std::cerr << err << "\n";
      return 2;
    }
    std::cerr << "run " << knob << "=" << v << " ...\n";
    runs.push_back(run_in_process(one, stderr_progress(o.progress)));
    all_ok &= runs.back().invariants.ok;
    std::cout << knob << "=" << v << ": " << summary_text(runs.back());
  }
  std::ofstream csv{o.csv}, html{o.html};
  csv << sweep_csv(knob, values, runs);
  html << sweep_html(knob, values, runs, o);
  if (!csv || !html) {
    std::cerr << "cannot write " << o.csv << " or " << o.html << "\n";
    return 2;
  }
  std::cout << "wrote " << o.html << " and " << o.csv << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace concert::sim
