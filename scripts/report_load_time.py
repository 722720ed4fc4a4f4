#!/usr/bin/env python3
"""Time how long report.html pages take to load in headless Chromium (Debian's `chromium`).

Usage: python3 scripts/report_load_time.py REPORT.html [REPORT.html ...] [--runs N]

Needs `pip install playwright` (its Python package only: the browser is Debian's /usr/bin/chromium, nothing is
downloaded). Prints, per page and load, the navigation timing's loadEventEnd in milliseconds, the trade-table rows
and any console error. Not used by the tests: it measures what the README states.
"""
import json
import os
import sys

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]


def main(argv):
    runs = 3
    if "--runs" in argv:
        at = argv.index("--runs")
        if at + 1 >= len(argv) or not argv[at + 1].isdigit():
            sys.exit("--runs takes a whole number\n" + __doc__)
        runs = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    if not argv:
        sys.exit(__doc__)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for path in argv:
            url = "file://" + os.path.abspath(path)
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                errors = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(url, wait_until="load")
                timing = json.loads(page.evaluate(
                    "JSON.stringify(performance.getEntriesByType('navigation')[0].toJSON())"))
                rows = page.evaluate("document.querySelectorAll('tbody tr').length")
                print(f"{path}: {os.path.getsize(path)} bytes, load {timing['loadEventEnd']:.0f} ms, "
                      f"{rows} table rows, console errors: {errors or 'none'}")
                page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
