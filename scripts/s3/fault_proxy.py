#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for tests (ours; never used outside tests).

Sits between a client and an S3 endpoint and, on command, breaks the next requests:

  503         answer 503 SlowDown without forwarding
  500         answer 500 InternalError without forwarding
  429         answer 429 TooManyRequests without forwarding
  drop-upload read half of the request body, then close the connection
  drop-reply  forward (the server does the work), then close the connection without replying
  drop-body   forward, send the response headers and half the body, then close the connection
  stall       forward, send the headers and half the body, then stop sending (for 60 s)
  short-body  forward, but send only half the body with a Content-Length that matches it (a lie only a
              checksum can catch)
  corrupt     forward, flipping one byte of the body
  reply       answer with the armed status and body without forwarding (a canned server reply: malformed
              listings, an error inside a 200, a 409 with a given code)

Control (never forwarded):
  GET /__fault__/set?mode=MODE&count=N[&method=GET][&match=SUBSTRING][&status=N&body=TEXT]
                                                                         arm a fault for N matching requests
  GET /__fault__/clear                                                   disarm
  GET /__fault__/stats                                                   JSON: faults injected, request lines seen,
                                                                         request body bytes received

Usage: fault_proxy.py --upstream http://127.0.0.1:PORT [--port N]; prints its port once listening.
"""

import argparse
import http.client
import http.server
import json
import socketserver
import threading
import time
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class State:
    lock = threading.Lock()
    mode = None
    count = 0
    method = None
    match = None
    status = 200
    body = b""
    injected = 0
    seen = []
    request_bytes = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ("127.0.0.1", 0)

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_any()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def reply(self, status, body, content_type="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def control(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        with State.lock:
            if url.path == "/__fault__/set":
                State.mode = query["mode"]
                State.count = int(query.get("count", "1"))
                State.method = query.get("method")
                State.match = query.get("match")
                State.status = int(query.get("status", "200"))
                State.body = query.get("body", "").encode()
            elif url.path == "/__fault__/clear":
                State.mode = None
                State.count = 0
            body = json.dumps(
                {"injected": State.injected, "seen": State.seen, "armed": State.count, "request_bytes": State.request_bytes}
            ).encode()
        self.reply(200, body, "application/json")

    def take_fault(self):
        with State.lock:
            State.seen.append(f"{self.command} {self.path}")
            if State.count <= 0 or State.mode is None:
                return None
            if State.method and State.method != self.command:
                return None
            if State.match and State.match not in self.path:
                return None
            State.count -= 1
            State.injected += 1
            return State.mode

    def handle_any(self):
        if self.path.startswith("/__fault__/"):
            self.control()
            return
        fault = self.take_fault()
        length = int(self.headers.get("Content-Length", "0") or "0")
        if fault == "drop-upload":
            self.rfile.read(length // 2)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = self.rfile.read(length) if length else b""
        with State.lock:
            State.request_bytes += len(body)
        if fault == "reply":
            with State.lock:
                status, canned = State.status, State.body
            self.reply(status, canned)
            return
        if fault in ("503", "500", "429"):
            code = {"503": "SlowDown", "500": "InternalError", "429": "TooManyRequests"}[fault]
            self.reply(
                int(fault),
                ("<Error><Code>%s</Code><Message>injected by the fault proxy</Message></Error>" % code).encode(),
            )
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if fault == "drop-reply":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        half = len(data) // 2
        if fault == "short-body" and self.command != "HEAD":
            data = data[:half]
        if fault == "corrupt" and data:
            data = data[:half] + bytes([data[half] ^ 0xFF]) + data[half + 1 :]
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-length", "server", "date"):
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "drop-body":
            self.wfile.write(data[:half])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault == "stall":
            self.wfile.write(data[:half])
            self.wfile.flush()
            time.sleep(60)
            self.close_connection = True
            return
        self.wfile.write(data)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    upstream = urllib.parse.urlsplit(args.upstream)
    Handler.upstream = (upstream.hostname, upstream.port)
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
