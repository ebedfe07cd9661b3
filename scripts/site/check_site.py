#!/usr/bin/env python3
"""Check a site built by `pond site build` in headless Chromium (docs/pipeline.md, "Site").

Drives Chromium through the DevTools protocol over --remote-debugging-pipe (Chromium reads commands on fd 3
and writes replies and events on fd 4, each message JSON ended by a NUL byte), so no websocket library is
needed. Python standard library only.

    check_site.py --site DIR --page series/<dir>/index.html --screenshot OUT.png \
        [--expected ZOOM.json] [--probe START,END ...] [--serve] [--chromium /usr/bin/chromium]

Opens file://DIR/index.html (with --serve: http://127.0.0.1:PORT/index.html, served by this script from DIR
on a port of its own), then the series page; fails on any console error, exception or error log entry,
and on any request for a URL outside DIR; checks that every chart's canvas has drawn pixels; saves a
screenshot. With --expected (JSON: {"window": [start_ms, end_ms], "resolution": "1h", "columns": [...],
"rows": [[time_ms, value, ...], ...]}, the rows of that resolution in the window), zooms the page to the
window from its JavaScript (pondSite.zoom), and checks that the resolution's data files were loaded (at most
two) and that the points each chart draws in the window equal the expected rows. Prints a JSON report on
stdout; exits 0 when every check passed, 1 otherwise, 2 when Chromium could not be run.
"""

import argparse
import base64
import fcntl
import functools
import http.server
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = 30.0


class DevToolsError(Exception):
    pass


class Browser:
    """A headless Chromium and the DevTools pipe to it."""

    def __init__(self, chromium, profile, log):
        commands_read, commands_write = os.pipe()
        events_read, events_write = os.pipe()
        # Above the descriptors the child maps to 3 and 4, so that neither dup2 overwrites the other's source.
        child_commands = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
        child_events = fcntl.fcntl(events_write, fcntl.F_DUPFD, 10)
        os.close(commands_read)
        os.close(events_write)

        def map_descriptors():
            os.dup2(child_commands, 3)
            os.dup2(child_events, 4)

        arguments = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-pipe",
            "--user-data-dir=" + profile,
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--metrics-recording-only",
            "--no-pings",
            # No name resolves: the browser reaches no host but 127.0.0.1 (--serve), whatever a page asks.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1200,1000",
            "--allow-file-access-from-files",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            arguments,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(3, 4, child_commands, child_events),
            preexec_fn=map_descriptors,
        )
        os.close(child_commands)
        os.close(child_events)
        self.commands = commands_write
        self.replies = events_read
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        return self.next_id

    def _read(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DevToolsError("timed out waiting for Chromium")
        ready, _, _ = select.select([self.replies], [], [], remaining)
        if not ready:
            raise DevToolsError("timed out waiting for Chromium")
        chunk = os.read(self.replies, 1 << 20)
        if not chunk:
            raise DevToolsError("Chromium closed the DevTools pipe (exit %s)" % self.process.poll())
        self.buffer += chunk
        while b"\0" in self.buffer:
            text, self.buffer = self.buffer.split(b"\0", 1)
            yield json.loads(text)

    def call(self, method, params=None, session=None, timeout=TIMEOUT):
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            for message in self._read(deadline):
                if message.get("id") == wanted:
                    if "error" in message:
                        raise DevToolsError("%s: %s" % (method, message["error"]))
                    return message.get("result", {})
                if "method" in message:
                    self.events.append(message)

    def wait_event(self, method, session, after, timeout=TIMEOUT):
        """The first event `method` of `session` at or after index `after` of `events`."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[after:]:
                if event["method"] == method and event.get("sessionId") == session:
                    return event
            after = len(self.events)
            for message in self._read(deadline):
                if "method" in message:
                    self.events.append(message)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (DevToolsError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.commands)
        os.close(self.replies)


def evaluate(browser, session, expression):
    result = browser.call(
        "Runtime.evaluate",
        {"expression": expression, "returnByValue": True, "awaitPromise": True},
        session,
    )
    if "exceptionDetails" in result:
        raise DevToolsError("%s threw: %s" % (expression, result["exceptionDetails"]))
    return result["result"].get("value")


def wait_until(browser, session, expression, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if evaluate(browser, session, expression):
            return True
        time.sleep(0.1)
    return False


# Per chart, the pixels of its plot canvas in a colour (not a grey: the grid, axes and labels are grey or
# black, the series are coloured).
PIXELS = """(function () {
  return pondSite.charts().map(function (g) {
    var canvas = g.hidden_;
    var data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    var drawn = 0;
    for (var i = 0; i < data.length; i += 4) {
      if (data[i + 3] !== 0 && (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2])) { drawn++; }
    }
    return drawn;
  });
})()"""


def open_page(browser, session, url):
    mark = len(browser.events)
    browser.call("Page.navigate", {"url": url}, session)
    browser.wait_event("Page.loadEventFired", session, mark)


def screenshot(browser, session, path):
    data = browser.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(path, "wb") as file:
        file.write(base64.b64decode(data))
    return path


def compare_points(drawn, expected):
    """Differences between the points the charts draw and the expected rows (empty when equal)."""
    problems = []
    index = {name: i for i, name in enumerate(expected["columns"])}
    for chart in drawn["charts"]:
        want = [[row[0]] + [row[1 + index[name]] for name in chart["columns"]] for row in expected["rows"]]
        got = chart["points"]
        if got != want:
            first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            problems.append(
                "chart %s: %d points drawn, %d expected; first difference at %d: %s vs %s"
                % (
                    chart["title"],
                    len(got),
                    len(want),
                    first,
                    got[first] if first < len(got) else None,
                    want[first] if first < len(want) else None,
                )
            )
    return problems


def check(arguments):
    site = os.path.realpath(arguments.site)
    site_url = "file://" + site + "/"
    server = None
    if arguments.serve:
        handler = functools.partial(QuietHandler, directory=site)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        site_url = "http://127.0.0.1:%d/" % server.server_address[1]
    report = {"site": site, "base": site_url, "failures": [], "requests": [], "errors": []}
    expected = None
    if arguments.expected:
        with open(arguments.expected) as file:
            expected = json.load(file)
    profile = tempfile.mkdtemp(prefix="pond-site-chromium-")
    log_path = os.path.join(profile, "chromium.log")
    log = open(log_path, "wb")
    try:
        browser = Browser(arguments.chromium, profile, log)
    except OSError as error:
        print(json.dumps({"ok": False, "failures": ["cannot run %s: %s" % (arguments.chromium, error)]}))
        return 2
    report["chromium_pid"] = browser.process.pid
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.call(domain + ".enable", {}, session)
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1200, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            session,
        )

        open_page(browser, session, site_url + "index.html")
        report["index_rows"] = evaluate(browser, session, "document.querySelectorAll('table.series tr').length - 1")
        if not report["index_rows"]:
            report["failures"].append("index.html lists no series")
        links = evaluate(
            browser, session, "Array.from(document.querySelectorAll('a')).map(function (a) { return a.href; })"
        )
        if site_url + arguments.page not in links:
            report["failures"].append("index.html does not link to %s (links: %s)" % (arguments.page, links))

        open_page(browser, session, site_url + arguments.page)
        if not wait_until(browser, session, "typeof pondSite !== 'undefined' && pondSite.ready()"):
            report["failures"].append("the series page did not finish loading its data")
        initial = evaluate(browser, session, "pondSite.drawn()")
        report["initial"] = {k: initial[k] for k in ("resolution", "chunks", "window", "loads")}
        report["initial"]["points"] = [len(chart["points"]) for chart in initial["charts"]]
        report["pixels"] = evaluate(browser, session, PIXELS)
        if not report["pixels"] or min(report["pixels"]) < 100:
            report["failures"].append("a chart drew (almost) nothing: drawn pixels %s" % report["pixels"])
        report["screenshot"] = screenshot(browser, session, arguments.screenshot)

        if expected is not None:
            start, end = expected["window"]
            evaluate(browser, session, "pondSite.zoom(%d, %d)" % (start, end))
            if not wait_until(browser, session, "pondSite.ready()"):
                report["failures"].append("the zoomed view did not finish loading its data")
            zoomed = evaluate(browser, session, "pondSite.drawn()")
            report["zoomed"] = {k: zoomed[k] for k in ("resolution", "chunks", "window", "loads")}
            report["zoomed"]["points"] = [len(chart["points"]) for chart in zoomed["charts"]]
            if zoomed["resolution"] != expected["resolution"]:
                report["failures"].append(
                    "zoomed to resolution %s, expected %s" % (zoomed["resolution"], expected["resolution"])
                )
            if len(zoomed["chunks"]) > 2:
                report["failures"].append("the zoomed view needs %d files" % len(zoomed["chunks"]))
            finer = [url for url in zoomed["loads"] if url.startswith("res=%s/" % expected["resolution"])]
            if not finer:
                report["failures"].append("no file of resolution %s was loaded" % expected["resolution"])
            report["failures"] += compare_points(zoomed, expected)
            base, extension = os.path.splitext(arguments.screenshot)
            report["zoomed_screenshot"] = screenshot(browser, session, base + "-zoomed" + extension)
            # Back to the whole range: the coarsest resolution again, from the files already loaded.
            evaluate(browser, session, "pondSite.whole()")
            if not wait_until(browser, session, "pondSite.ready()"):
                report["failures"].append("the whole range did not come back")
            whole = evaluate(browser, session, "pondSite.drawn()")
            report["whole"] = {k: whole[k] for k in ("resolution", "chunks", "window")}
            if [whole[k] for k in ("resolution", "chunks", "window")] != [
                initial[k] for k in ("resolution", "chunks", "window")
            ]:
                report["failures"].append("'whole range' shows %s, not the first view" % report["whole"])
        # Each --probe window: which resolution and files the page picks for it.
        report["probes"] = []
        for probe in arguments.probe:
            start, end = (int(part) for part in probe.split(","))
            evaluate(browser, session, "pondSite.zoom(%d, %d)" % (start, end))
            if not wait_until(browser, session, "pondSite.ready()"):
                report["failures"].append("the view %s did not finish loading" % probe)
            view = evaluate(browser, session, "pondSite.drawn()")
            report["probes"].append({k: view[k] for k in ("window", "resolution", "chunks")})
        # Events that arrived with the last replies.
        evaluate(browser, session, "0")
    except DevToolsError as error:
        report["failures"].append(str(error))
    finally:
        browser.close()
        log.close()
        if server is not None:
            server.shutdown()
            server.server_close()

    for event in browser.events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            report["requests"].append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
            report["errors"].append("console.%s: %s" % (params["type"], " ".join(texts)))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            report["errors"].append(
                "exception: %s" % details.get("exception", {}).get("description", details.get("text"))
            )
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            report["errors"].append("log: %s %s" % (entry.get("text"), entry.get("url", "")))
    report["outside"] = [url for url in report["requests"] if not url.startswith(site_url)]
    if report["outside"]:
        report["failures"].append(
            "requests outside the site: %s" % [url if len(url) < 200 else url[:200] + "..." for url in report["outside"]]
        )
    if report["errors"]:
        report["failures"].append("errors in the browser: %s" % report["errors"])
    if report["failures"]:
        with open(log_path, "rb") as file:
            report["chromium_log"] = file.read()[-4000:].decode(errors="replace")
    shutil.rmtree(profile, ignore_errors=True)
    report["ok"] = not report["failures"]
    print(json.dumps(report, indent=1, sort_keys=True))
    return 0 if report["ok"] else 1


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site without logging each request on stderr."""

    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", required=True, help="the site's directory")
    parser.add_argument("--page", required=True, help="a series page, relative to the site")
    parser.add_argument("--screenshot", required=True, help="where to save the series page's PNG")
    parser.add_argument("--expected", help="JSON of the zoom to check (see above)")
    parser.add_argument(
        "--probe",
        action="append",
        default=[],
        metavar="START,END",
        help="zoom to this window (UTC ms) too and report the resolution and files picked",
    )
    parser.add_argument("--serve", action="store_true", help="serve DIR on 127.0.0.1 instead of file://")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    sys.exit(check(parser.parse_args()))


if __name__ == "__main__":
    main()
