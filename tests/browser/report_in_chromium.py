#!/usr/bin/env python3
"""Browser test: parlab writes an HTML page; headless Chromium opens it.

demo:  `parlab demo` writes its report: every run's timeline and the summary table must render.
sweep: `parlab sweep --report` writes its page: every model's points must be drawn.

Checks that the page logs no console message and raises no script error, that it rendered
(the page's own check, read from <body data-*>), and saves a screenshot next to the page.
Exit 0 pass, 1 fail, 77 skipped (no Chromium).

usage: report_in_chromium.py PARLAB_BINARY WORK_DIR [demo|sweep]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def main():
    parlab, work = sys.argv[1], sys.argv[2]
    page = sys.argv[3] if len(sys.argv) > 3 else "demo"
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        print("SKIP: no chromium on this machine (scripts/setup.sh installs Debian's)")
        return 77
    os.makedirs(work, exist_ok=True)
    # The demo writes ./parlab-report.html unasked; the sweep where it is told.
    report = os.path.join(work, "parlab-report.html" if page == "demo" else "parlab-sweep.html")
    screenshot = os.path.join(work, f"parlab-{page}.png")
    for stale in (report, screenshot):
        if os.path.exists(stale):
            os.remove(stale)

    if page == "demo":
        command = [parlab, "demo", "-r", "1"]
    else:
        command = [parlab, "sweep", "-w", "cpu", "-t", "4", "-s", "200", "-r", "2", "-e",
                   "threads,gil-threads,process-pool", "-j", "1..4", "--report", report]
    made = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=600)
    if made.returncode != 0:
        fail(f"parlab {page} exited {made.returncode}: {made.stderr.strip()}")
    if not os.path.exists(report):
        fail(f"parlab {page} did not write {report}")
    if page == "demo" and "HTML report: " not in made.stdout:
        fail("parlab demo did not say where its report is")

    profile = tempfile.mkdtemp(prefix="parlab-chromium-")
    try:
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  f"--user-data-dir={profile}"]
        url = "file://" + os.path.abspath(report)
        dom = subprocess.run(common + ["--enable-logging=stderr", "--v=0",
                                       "--virtual-time-budget=5000", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120)
        console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l or "Uncaught" in l]
        if console:
            fail("console messages:\n  " + "\n  ".join(console))
        body = re.search(r"<body([^>]*)>", dom.stdout)
        if body is None:
            fail(f"no <body> in the rendered page (chromium exited {dom.returncode})")
        attrs = dict(re.findall(r'data-([a-z]+)="([^"]*)"', body.group(1)))
        if "errors" in attrs:
            fail(f"script errors: {attrs['errors']}")
        if attrs.get("rendered") != "ok":
            fail(f"the page did not render completely: {attrs}")
        if page == "demo":
            runs, drawn, rows = int(attrs["runs"]), int(attrs["drawn"]), int(attrs["rows"])
            if runs < 4 or drawn != runs or rows < runs:
                fail(f"expected every timeline and table row drawn: {attrs}")
            what = f"{runs} timelines and {rows} table rows"
        else:
            models, points = int(attrs["models"]), int(attrs["points"])
            if models != 3 or points != 12:
                fail(f"expected 3 models with 4 points each drawn: {attrs}")
            what = f"{models} models and {points} points"

        shot = subprocess.run(common + ["--window-size=1100,4000", f"--screenshot={screenshot}",
                                        url], capture_output=True, text=True, timeout=120)
        if not os.path.exists(screenshot) or os.path.getsize(screenshot) < 10_000:
            fail(f"no screenshot (chromium exited {shot.returncode})")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    print(f"PASS: {what} rendered with no console message; screenshot {screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
