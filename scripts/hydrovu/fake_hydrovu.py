#!/usr/bin/env python3
"""A fake HydroVu public API for tests and benchmarks (ours; Python 3 standard library only).

Serves, on 127.0.0.1, the endpoints DuckPond's collector uses, from a deterministic generator:

  POST /public-api/oauth/token                 form grant_type=client_credentials, client_id, client_secret,
                                               scope -> {"access_token", "token_type", "expires_in"}
  GET  /public-api/v1/sispec/friendlynames     {"parameters": {id: name}, "units": {id: name}}
  GET  /public-api/v1/locations/list           [{"id", "name", "description", "gps": {...}}], paged
  GET  /public-api/v1/locations/ID/data?startTime=S[&endTime=E]
                                               {"locationId", "parameters": [{"parameterId", "unitId",
                                               "customParameter", "readings": [{"timestamp", "value"}]}]}

Paging: a response that has more sends `x-isi-next-page`; the client sends it back as `x-isi-start-page`.
A data page holds --page-size timestamps (every parameter's readings at them; with --straddle, also the
first half of the next timestamp's parameters, whose other half opens the next page); a list page
--list-page-size locations.

The generator: devices 1..N have location ids FIRST_ID+0.., parameters 1..P (parameter p has unit p),
a reading every --interval seconds at START + k*INTERVAL up to END inclusive (END is the fixed "now"),
and the value of parameter p of the device with location id D at Unix time t is

    D * 1000 + p * 100 + ((t // 60) % 10007) / 8          (exact in binary floating point)

--late-parameter P:X makes parameter P report only at times >= X; --unnamed-parameter P leaves P out of
friendlynames; --inactive-device ID answers 404 for that location's data (the collector must not ask).

Tokens: each token expires after --token-requests authorized requests or --token-seconds seconds
(expires_in says the latter); an expired or unknown token gets 401.

Faults, armed by --fault KIND:COUNT[:PATH_SUBSTRING] (repeatable) or POST /_control with JSON
  {"faults": [{"kind": K, "count": N, "match": "/data", "retry_after": 1, "seconds": 30}], "clear": true}
hit the next COUNT requests whose path contains `match` (default: any API path but the token's):
  429          429 Too Many Requests, with Retry-After: retry_after (omitted when null)
  500          500 Internal Server Error
  403          403 Forbidden
  expire       401, and the token in use is revoked (as when a token expires early)
  malformed    200 with a body that is not JSON
  cut          200 with the JSON cut in half (Content-Length matches what is sent)
  truncated    200 with Content-Length of the whole body, half of it sent, then the connection closed
  stall        200 with Content-Length of the whole body, half of it sent, then nothing for `seconds`
               (default 60), then the connection closed
GET /_stats -> {"requests": {path: count}, "tokens": issued, "faults": injected, "stalled": stalls begun,
"armed": faults still armed}.

Usage: fake_hydrovu.py [--port 0] --start S --end E [options]; prints its port on the first line of stdout.
"""

import argparse
import base64
import http.server
import json
import socket
import sys
import threading
import time
import urllib.parse

NAMES = [
    ("Temperature", "C"),
    ("Depth", "m"),
    ("pH", "pH units"),
    ("Specific Conductance", "uS/cm"),
    ("Dissolved Oxygen", "mg/L"),
    ("Turbidity", "NTU"),
    ("Salinity", "PSU"),
    ("Pressure", "psi"),
    ("ORP", "mV"),
    ("Chlorophyll-a", "RFU"),
]

API = "/public-api"


def value(location, parameter, t):
    return location * 1000 + parameter * 100 + ((t // 60) % 10007) / 8


class State:
    lock = threading.Lock()
    args = None
    tokens = {}  # token -> [requests left, expiry (monotonic)]
    issued = 0
    faults = []  # [kind, count, match, retry_after, seconds]
    injected = 0
    stalled = 0
    requests = {}


def parse_fault(text):
    parts = text.split(":", 2)
    kind = parts[0]
    count = int(parts[1]) if len(parts) > 1 else 1
    match = parts[2] if len(parts) > 2 else None
    return [kind, count, match, 1 if kind == "429" else None, 60.0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    # -- plumbing

    def send_body(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value_ in headers:
            self.send_header(name, value_)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, document, headers=()):
        self.send_body(status, json.dumps(document, separators=(",", ":")).encode(), headers)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def take_fault(self, path):
        with State.lock:
            for fault in State.faults:
                kind, count, match, _, _ = fault
                if count <= 0:
                    continue
                if match is None and path.endswith("/oauth/token"):
                    continue
                if match is not None and match not in path:
                    continue
                fault[1] -= 1
                State.injected += 1
                return list(fault)
        return None

    def faulty_body(self, fault, body, headers):
        kind = fault[0]
        if kind == "malformed":
            self.send_body(200, b'{"locationId": 1, "parameters": [oops]}')
        elif kind == "cut":
            self.send_body(200, body[: len(body) // 2], headers)
        elif kind in ("truncated", "stall"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value_ in headers:
                self.send_header(name, value_)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if kind == "stall":
                with State.lock:
                    State.stalled += 1
                time.sleep(fault[4])
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            raise AssertionError(kind)

    def answer(self, body, headers=()):
        fault = self.fault
        if fault is not None and fault[0] in ("malformed", "cut", "truncated", "stall"):
            self.faulty_body(fault, body, headers)
        else:
            self.send_body(200, body, headers)

    # -- requests

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        self.count(path)
        body = self.read_body()
        if path == "/_control":
            return self.control(body)
        if path != API + "/oauth/token":
            return self.send_json(404, {"error": "no such endpoint"})
        form = dict(urllib.parse.parse_qsl(body.decode()))
        fault = self.take_fault(path)
        if fault is not None and fault[0] in ("429", "500"):
            return self.simple_fault(fault)
        args = State.args
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != args.client_id
            or form.get("client_secret") != args.client_secret
        ):
            return self.send_json(401, {"error": "invalid_client"})
        if set((form.get("scope") or "").split()) != {"read:locations", "read:data"}:
            return self.send_json(400, {"error": "invalid_scope"})
        with State.lock:
            State.issued += 1
            token = "token-%d" % State.issued
            State.tokens[token] = [args.token_requests, time.monotonic() + args.token_seconds]
        self.send_json(200, {"access_token": token, "token_type": "bearer", "expires_in": args.token_seconds})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if path == "/_stats":
            with State.lock:
                stats = {
                    "requests": dict(State.requests),
                    "tokens": State.issued,
                    "faults": State.injected,
                    "stalled": State.stalled,
                    "armed": sum(max(0, f[1]) for f in State.faults),
                }
            return self.send_json(200, stats)
        self.count(path)
        if not self.authorized():
            return self.send_json(401, {"error": "invalid_token"})
        self.fault = self.take_fault(path)
        if self.fault is not None and self.fault[0] in ("429", "500", "403", "expire"):
            return self.simple_fault(self.fault)
        query = dict(urllib.parse.parse_qsl(url.query))
        start_page = self.headers.get("x-isi-start-page")
        if path == API + "/v1/sispec/friendlynames":
            return self.friendly_names()
        if path == API + "/v1/locations/list":
            return self.locations(start_page)
        prefix = API + "/v1/locations/"
        if path.startswith(prefix) and path.endswith("/data"):
            try:
                location = int(path[len(prefix) : -len("/data")])
            except ValueError:
                return self.send_json(400, {"error": "bad location id"})
            return self.data(location, query, start_page)
        self.send_json(404, {"error": "no such endpoint"})

    def count(self, path):
        with State.lock:
            State.requests[path] = State.requests.get(path, 0) + 1

    def authorized(self):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Bearer "):
            return False
        token = header[len("Bearer ") :]
        with State.lock:
            entry = State.tokens.get(token)
            if entry is None or entry[0] <= 0 or time.monotonic() >= entry[1]:
                State.tokens.pop(token, None)
                return False
            entry[0] -= 1
            self.token = token
        return True

    def simple_fault(self, fault):
        kind = fault[0]
        if kind == "429":
            headers = [] if fault[3] is None else [("Retry-After", str(fault[3]))]
            return self.send_json(429, {"error": "too many requests"}, headers)
        if kind == "500":
            return self.send_json(500, {"error": "internal error"})
        if kind == "403":
            return self.send_json(403, {"error": "forbidden"})
        if kind == "expire":
            with State.lock:
                State.tokens.pop(getattr(self, "token", None), None)
            return self.send_json(401, {"error": "token expired"})
        return self.send_json(500, {"error": "fault %s cannot hit this endpoint" % kind})

    def control(self, body):
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return self.send_json(400, {"error": "the body is not JSON"})
        with State.lock:
            if document.get("clear"):
                State.faults = []
            for fault in document.get("faults", []):
                State.faults.append(
                    [
                        str(fault["kind"]),
                        int(fault.get("count", 1)),
                        fault.get("match"),
                        fault.get("retry_after", 1 if str(fault["kind"]) == "429" else None),
                        float(fault.get("seconds", 60)),
                    ]
                )
        self.send_json(200, {"ok": True})

    # -- the generator

    def friendly_names(self):
        args = State.args
        parameters = {}
        units = {}
        for p in range(1, args.parameters + 1):
            name, unit = NAMES[p - 1] if p <= len(NAMES) else ("Parameter %d" % p, "unit %d" % p)
            if p not in args.unnamed_parameter:
                parameters[str(p)] = name
            units[str(p)] = unit
        self.answer(json.dumps({"parameters": parameters, "units": units}).encode())

    def locations(self, start_page):
        args = State.args
        first = int(start_page) if start_page else 0
        ids = list(range(args.first_id, args.first_id + args.devices))
        chunk = ids[first : first + args.list_page_size]
        document = [
            {
                "id": location,
                "name": "Device %d" % location,
                "description": "Fake device %d" % location,
                "gps": {"latitude": 45.0 + (location % 100) / 64, "longitude": -122.0 - (location % 100) / 64},
            }
            for location in chunk
        ]
        headers = []
        if first + args.list_page_size < len(ids):
            headers.append(("x-isi-next-page", str(first + args.list_page_size)))
        self.answer(json.dumps(document, separators=(",", ":")).encode(), headers)

    def data(self, location, query, start_page):
        args = State.args
        if not (args.first_id <= location < args.first_id + args.devices):
            return self.send_json(404, {"error": "no location %d" % location})
        if location in args.inactive_device:
            return self.send_json(404, {"error": "location %d is inactive" % location})
        try:
            start_time = int(query["startTime"])
            end_time = int(query.get("endTime", args.end))
        except (KeyError, ValueError):
            return self.send_json(400, {"error": "startTime (Unix seconds) is required"})
        step = args.interval
        count = args.parameters
        first_time = max(start_time, args.start)
        first_index = -(-(first_time - args.start) // step)
        last_index = (min(end_time, args.end) - args.start) // step
        # Pages are runs of cells (timestamp k, parameter p) in time order; with --straddle a page ends
        # half-way through a timestamp's parameters, and the next page holds the rest.
        first_cell = first_index * count
        if start_page:
            try:
                first_cell = int(base64.urlsafe_b64decode(start_page.encode()).decode())
            except ValueError:
                return self.send_json(400, {"error": "bad x-isi-start-page"})
        page_cells = args.page_size * count + (count // 2 if args.straddle else 0)
        stop_cell = min((last_index + 1) * count, first_cell + page_cells)
        late = dict(args.late_parameter)
        shown = {p: [] for p in range(1, count + 1)}
        for cell in range(first_cell, stop_cell):
            t = args.start + (cell // count) * step
            p = cell % count + 1
            if t >= late.get(p, t):
                shown[p].append(t)
        parts = []
        for p in range(1, count + 1):
            if not shown[p]:
                continue
            base = location * 1000 + p * 100
            readings = ",".join(
                '{"timestamp":%d,"value":%r}' % (t, base + ((t // 60) % 10007) / 8) for t in shown[p]
            )
            parts.append(
                '{"parameterId":"%d","unitId":"%d","customParameter":false,"readings":[%s]}' % (p, p, readings)
            )
        body = ('{"locationId":%d,"parameters":[%s]}' % (location, ",".join(parts))).encode()
        headers = []
        if stop_cell < (last_index + 1) * count:
            headers.append(("x-isi-next-page", base64.urlsafe_b64encode(str(stop_cell).encode()).decode()))
        self.answer(body, headers)


def late_parameter(text):
    parameter, since = text.split(":", 1)
    return int(parameter), int(since)


def main():
    parser = argparse.ArgumentParser(description="A fake HydroVu API on 127.0.0.1 (tests only).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--first-id", type=int, default=100)
    parser.add_argument("--parameters", type=int, default=3)
    parser.add_argument("--start", type=int, required=True, help="first reading, Unix seconds")
    parser.add_argument("--end", type=int, required=True, help="the fixed 'now', Unix seconds")
    parser.add_argument("--interval", type=int, default=900, help="seconds between readings")
    parser.add_argument("--page-size", type=int, default=1000, help="timestamps per data page")
    parser.add_argument("--list-page-size", type=int, default=100, help="locations per list page")
    parser.add_argument(
        "--straddle", action="store_true", help="end each data page half-way through a timestamp's parameters"
    )
    parser.add_argument("--token-requests", type=int, default=1_000_000)
    parser.add_argument("--token-seconds", type=int, default=3600)
    parser.add_argument("--client-id", default="test-client")
    parser.add_argument("--client-secret", default="test-secret")
    parser.add_argument("--late-parameter", type=late_parameter, action="append", default=[])
    parser.add_argument("--unnamed-parameter", type=int, action="append", default=[])
    parser.add_argument("--inactive-device", type=int, action="append", default=[])
    parser.add_argument("--fault", type=parse_fault, action="append", default=[])
    args = parser.parse_args()
    if args.interval <= 0 or args.page_size <= 0 or args.list_page_size <= 0 or args.end < args.start:
        parser.error("--interval, --page-size and --list-page-size must be positive and --end >= --start")
    State.args = args
    State.faults = args.fault
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
