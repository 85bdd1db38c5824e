#!/usr/bin/env python3
"""CPython side by side with parlab: the same cpu and io work under CPython's own models.

The work is parlab's, number for number: a `cpu` task counts primes by trial division over the
same 64 numbers per unit, starting where parlab's task with the same seed starts; an `io` task
sleeps for `size` milliseconds, then computes one unit. Each model runs the tasks with W workers:

  cpython-sequential    one after the other (the baseline for the speedups)
  cpython-threads       a threading.Thread per task, W at a time (the GIL lets one compute)
  cpython-thread-pool   concurrent.futures.ThreadPoolExecutor(W)
  cpython-processes     W multiprocessing.Process workers fed by one queue (each its own GIL)
  cpython-process-pool  concurrent.futures.ProcessPoolExecutor(W)

(The process models start their W workers once per run, inside the measured time: forking
CPython once per task costs milliseconds of page-table copying and copy-on-write faults, more
than a small task computes.)
  cpython-asyncio       one asyncio event loop, W tasks in flight; sleeps are awaited

Every run records what ran when (task, slice, preempted and wait events on CLOCK_MONOTONIC, the
clock parlab uses), and the result is a parlab.result/1 document on standard output (or --json
PATH), so `parlab report`, `parlab demo --python` and `parlab run --python` read it like their own.

  python3 python/parlab_reference.py --workload cpu --tasks 8 --size 200 --workers 2
"""

import argparse
import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import platform
import resource
import socket
import statistics
import sys
import threading
import time

MODELS = ["cpython-sequential", "cpython-threads", "cpython-thread-pool", "cpython-processes",
          "cpython-process-pool", "cpython-asyncio"]
FIRST, RANGE, NUMBERS_PER_UNIT = 1_000_000, 1_000_000, 64  # as src/core/task.cpp
GAP_MIN_NS = 50_000  # shorter stops are not time slicing (as parlab's recorder)
CHUNK = NUMBERS_PER_UNIT  # numbers between two clock reads: one unit, ~0.2 ms of CPython; where
                          # a stop happened is known to within that (the reads cost under 1%)
MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def task_seed(seed, task_id):
    return splitmix64((seed + 0x9E3779B97F4A7C15 * task_id) & MASK)


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


class Task:
    """One task's work and what it recorded: events as (kind, start_ns, end_ns, wait)."""

    def __init__(self, task_id, seed, workload, size):
        self.id, self.workload, self.size = task_id, workload, size
        own_seed = task_seed(seed, task_id)
        self.cursor = FIRST + (splitmix64(own_seed) % (RANGE // NUMBERS_PER_UNIT)) \
            * NUMBERS_PER_UNIT
        # parlab's step-task checksum (src/core/steps.hpp): start from the seed, fold each result
        self.result = splitmix64(own_seed)
        self.events, self.cpu_ns = [], 0
        self.worker, self.pid, self.tid, self.start, self.end = 0, 0, 0, 0, 0

    def compute(self, units):
        """Counts primes for `units` units; a stretch where the wall clock ran on but this thread's
        CPU clock did not (the GIL, or the kernel, gave the CPU to someone else) splits the slice."""
        start_cpu = time.thread_time_ns()
        slice_start = last_wall = time.monotonic_ns()
        last_cpu = start_cpu
        found = 0
        for _ in range(units):
            for chunk in range(self.cursor, self.cursor + NUMBERS_PER_UNIT, CHUNK):
                for n in range(chunk, chunk + CHUNK):
                    if is_prime(n):
                        found += 1
                now, cpu = time.monotonic_ns(), time.thread_time_ns()
                stopped = (now - last_wall) - (cpu - last_cpu)
                if stopped > GAP_MIN_NS:
                    self.events.append(("slice", slice_start, now - stopped, None))
                    self.events.append(("preempted", now - stopped, now, None))
                    slice_start = now
                last_wall, last_cpu = now, cpu
            self.cursor += NUMBERS_PER_UNIT
            if self.cursor >= FIRST + RANGE:
                self.cursor = FIRST
        self.events.append(("slice", slice_start, time.monotonic_ns(), None))
        self.cpu_ns += time.thread_time_ns() - start_cpu
        self.result = splitmix64(self.result ^ found)

    def begin(self, worker):
        self.worker, self.pid, self.tid = worker, os.getpid(), threading.get_native_id()
        self.start = time.monotonic_ns()

    def finish(self):
        self.end = time.monotonic_ns()
        self.events.append(("task", self.start, self.end, None))

    def run(self, worker):
        """The blocking version (sequential, threads, processes)."""
        self.begin(worker)
        if self.workload == "io":
            t0 = time.monotonic_ns()
            time.sleep(self.size / 1000)
            self.events.append(("wait", t0, time.monotonic_ns(), "sleep"))
            self.compute(1)
        else:
            self.compute(self.size)
        self.finish()
        return self

    async def run_async(self, worker):
        """The event-loop version: the wait is awaited, compute runs inline on the loop."""
        self.begin(worker)
        if self.workload == "io":
            t0 = time.monotonic_ns()
            await asyncio.sleep(self.size / 1000)
            self.events.append(("wait", t0, time.monotonic_ns(), "async"))
            self.compute(1)
        else:
            self.compute(self.size)
        self.finish()
        return self


def process_worker(slot, todo, results):
    """A cpython-processes worker: runs tasks from `todo` until it reads None."""
    while (t := todo.get()) is not None:
        results.put(t.run(slot))


def with_slots(tasks, workers, start_one):
    """Starts each task when one of `workers` slots is free; start_one(task, slot, release)."""
    free = list(range(workers))
    cv = threading.Condition()

    def release(slot):
        with cv:
            free.append(slot)
            cv.notify()

    started = []
    for t in tasks:
        with cv:
            cv.wait_for(lambda: free)
            slot = free.pop(0)
        started.append(start_one(t, slot, release))
    return started


def run_model(model, tasks, workers):
    """Runs every task under `model`; returns the tasks with their records."""
    if model == "cpython-sequential":
        return [t.run(0) for t in tasks]
    if model == "cpython-threads":
        def start(t, slot, release):
            th = threading.Thread(target=lambda: (t.run(slot), release(slot)))
            th.start()
            return th
        for th in with_slots(tasks, workers, start):
            th.join()
        return tasks
    if model == "cpython-thread-pool":
        slots = threading.local()
        counter = iter(range(workers))
        lock = threading.Lock()

        def run(t):
            if not hasattr(slots, "id"):
                with lock:
                    slots.id = next(counter)
            return t.run(slots.id)
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, tasks))
    if model == "cpython-processes":
        # W multiprocessing.Process workers, started once per run (inside the measured time),
        # each taking tasks from one queue: forking CPython once per task would cost more than
        # a small task computes (milliseconds of page tables and copy-on-write faults).
        ctx = multiprocessing.get_context("fork")
        todo, results = ctx.SimpleQueue(), ctx.SimpleQueue()
        procs = [ctx.Process(target=process_worker, args=(w, todo, results))
                 for w in range(workers)]
        for p in procs:
            p.start()

        def feed():  # from a thread, so a full pipe of results cannot block the feeding
            for t in tasks:
                todo.put(t)
            for _ in procs:
                todo.put(None)
        feeder = threading.Thread(target=feed)
        feeder.start()
        finished = [results.get() for _ in tasks]
        feeder.join()
        for p in procs:
            p.join()
        return sorted(finished, key=lambda t: t.id)
    if model == "cpython-process-pool":
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            finished = list(pool.map(Task.run, tasks, [0] * len(tasks)))
        pids = {}
        for t in finished:  # one slot per worker process, in order of first appearance
            t.worker = pids.setdefault(t.pid, len(pids))
        return finished
    if model == "cpython-asyncio":
        async def main():
            slots = asyncio.Queue()
            for w in range(workers):
                slots.put_nowait(w)

            async def one(t):
                slot = await slots.get()
                try:
                    return await t.run_async(slot)
                finally:
                    slots.put_nowait(slot)
            return await asyncio.gather(*(one(t) for t in tasks))
        return asyncio.run(main())
    raise ValueError(f"unknown model '{model}' (one of: {', '.join(MODELS)})")


def usage():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return (s.ru_utime + c.ru_utime, s.ru_stime + c.ru_stime, s.ru_nvcsw + c.ru_nvcsw,
            s.ru_nivcsw + c.ru_nivcsw, max(s.ru_maxrss, c.ru_maxrss) * 1024)


def measure(model, args):
    """One warm-up, then args.repeat runs; the median run is the representative one."""
    runs = []
    for i in range(args.repeat + 1):
        tasks = [Task(k, args.seed, args.workload, args.size) for k in range(args.tasks)]
        before = usage()
        t0 = time.monotonic_ns()
        finished = run_model(model, tasks, args.workers)
        t1 = time.monotonic_ns()
        after = usage()
        if i > 0:
            runs.append((t1 - t0, t0, finished, [a - b for a, b in zip(after, before)], after[4]))
    order = sorted(range(len(runs)), key=lambda k: runs[k][0])
    wall_ns, t0, finished, delta, peak_rss = runs[order[len(order) // 2]]
    walls = [r[0] / 1e9 for r in runs]
    rel = lambda ns: (ns - t0) / 1e9
    records = [{"task_id": t.id, "worker": t.worker, "pid": t.pid, "tid": t.tid,
                "start_seconds": rel(t.start), "end_seconds": rel(t.end),
                "cpu_seconds": t.cpu_ns / 1e9, "ok": True, "message": "", "result": t.result}
               for t in finished]
    events = sorted(({"kind": kind, "task": t.id, "worker": t.worker, "cpu": -1,
                      "start_seconds": rel(start), "end_seconds": rel(end),
                      **({"wait": wait} if wait else {})}
                     for t in finished for kind, start, end, wait in t.events),
                    key=lambda e: e["start_seconds"])
    cpu = delta[0] + delta[1]
    return {
        "workload": args.workload, "executor": model,
        "workers": 1 if model == "cpython-sequential" else args.workers,
        "tasks": args.tasks, "size": args.size, "seed": args.seed,
        "parameters": {}, "repeat": args.repeat, "is_baseline": model == "cpython-sequential",
        "wall_seconds": statistics.median(walls), "wall_seconds_min": min(walls),
        "wall_seconds_max": max(walls), "wall_seconds_samples": walls,
        "speedup": None, "efficiency": None,
        "cpu_seconds": cpu, "cpu_user_seconds": delta[0], "cpu_system_seconds": delta[1],
        "cpu_utilisation": cpu / (wall_ns / 1e9),
        "context_switches": {"voluntary": int(delta[2]), "involuntary": int(delta[3])},
        "peak_rss_bytes": int(peak_rss),
        # parlab recomputes these from the events when it reads the document
        "verdict": "serial", "peak_in_flight": 0, "peak_running": 0, "avg_parallelism": 0.0,
        "from_timeline": False, "failed_tasks": 0, "failures": [],
        "task_records": records, "events": events,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", choices=["cpu", "io"], default="cpu")
    p.add_argument("--tasks", type=int, default=8)
    p.add_argument("--size", type=int, default=200,
                   help="cpu: units per task (64 numbers each); io: milliseconds of waiting")
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated, from: " + ", ".join(MODELS))
    p.add_argument("--json", default="-", help="where the document goes (- for standard output)")
    args = p.parse_args()
    models = args.models.split(",")
    for m in models:
        if m not in MODELS:
            p.error(f"unknown model '{m}' (one of: {', '.join(MODELS)})")
    for name in ("tasks", "workers", "repeat"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1 (got {getattr(args, name)})")
    if args.size < 0:
        p.error(f"--size must be at least 0 (got {args.size})")
    if "cpython-sequential" in models:  # the baseline first, as parlab measures it
        models.remove("cpython-sequential")
    models.insert(0, "cpython-sequential")

    runs = [measure(m, args) for m in models]
    base = runs[0]["wall_seconds"]
    for r in runs[1:]:
        r["speedup"] = base / r["wall_seconds"]
        r["efficiency"] = r["speedup"] / min(args.workers, args.tasks)
    cpus = sorted(os.sched_getaffinity(0))
    doc = {"schema": "parlab.result/1", "parlab_version": "python-reference",
           "python": platform.python_implementation() + " " + platform.python_version(),
           "machine": {"cores": len(cpus), "online_cpus": os.cpu_count(), "affinity": cpus,
                       "cpu_model": platform.processor(), "kernel": platform.release(),
                       "hostname": socket.gethostname()},
           "runs": runs}
    text = json.dumps(doc, indent=2) + "\n"
    if args.json == "-":
        sys.stdout.write(text)
    else:
        with open(args.json, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
