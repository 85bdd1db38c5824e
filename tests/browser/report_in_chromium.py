#!/usr/bin/env python3
"""Browser test: `parlab demo` writes its HTML report; headless Chromium opens it.

Checks that the page logs no console message and raises no script error, that every run's
timeline and the summary table rendered (the page's own check, read from <body data-*>), and
saves a screenshot next to the report. Exit 0 pass, 1 fail, 77 skipped (no Chromium).

usage: report_in_chromium.py PARLAB_BINARY WORK_DIR
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
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        print("SKIP: no chromium on this machine (scripts/setup.sh installs Debian's)")
        return 77
    os.makedirs(work, exist_ok=True)
    report = os.path.join(work, "parlab-report.html")
    screenshot = os.path.join(work, "parlab-report.png")
    for stale in (report, screenshot):
        if os.path.exists(stale):
            os.remove(stale)

    demo = subprocess.run([parlab, "demo", "-r", "1"], cwd=work, capture_output=True, text=True,
                          timeout=600)
    if demo.returncode != 0:
        fail(f"parlab demo exited {demo.returncode}: {demo.stderr.strip()}")
    if "HTML report: " not in demo.stdout or not os.path.exists(report):
        fail("parlab demo did not say where its report is, or did not write it")

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
        runs, drawn, rows = int(attrs["runs"]), int(attrs["drawn"]), int(attrs["rows"])
        if runs < 4 or drawn != runs or rows < runs:
            fail(f"expected every timeline and table row drawn: {attrs}")

        shot = subprocess.run(common + ["--window-size=1100,4000", f"--screenshot={screenshot}",
                                        url], capture_output=True, text=True, timeout=120)
        if not os.path.exists(screenshot) or os.path.getsize(screenshot) < 10_000:
            fail(f"no screenshot (chromium exited {shot.returncode})")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    print(f"PASS: {runs} timelines and {rows} table rows rendered with no console message; "
          f"screenshot {screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
