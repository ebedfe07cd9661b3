#!/usr/bin/env python3
"""A signature-verifying S3 front for moto_server (test-only).

moto's standalone server checks no SigV4 signature by default, and when told to it computes them over the
already-decoded URL and never checks the body against x-amz-content-sha256. This proxy does what S3 does,
from the raw request line, then forwards the request unchanged to moto:

  * unknown access key            -> 403 InvalidAccessKeyId
  * signature does not match      -> 403 SignatureDoesNotMatch (with the canonical request we computed)
  * x-amz-date too far from now   -> 403 RequestTimeTooSkewed (more than 15 minutes)
  * body does not hash to x-amz-content-sha256 -> 400 XAmzContentSHA256Mismatch
  * no Authorization header, or an x-amz-* header left unsigned -> 403 AccessDenied
  * a read-only key (--read-only-access-key) writing or deleting (PUT, POST, DELETE) -> 403 AccessDenied

Usage: verifying_proxy.py --upstream http://127.0.0.1:PORT --access-key AK --secret-key SK [--port N]
                          [--read-only-access-key AK --read-only-secret-key SK]
Prints the port it listens on (one line) once it accepts connections.
"""

import argparse
import datetime
import hashlib
import hmac
import http.client
import http.server
import re
import socketserver
import sys
import threading
import urllib.parse
from xml.sax.saxutils import escape

UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
MAX_SKEW = datetime.timedelta(minutes=15)


def aws_encode(data: bytes, keep_slash: bool = False) -> str:
    out = []
    for b in data:
        if b in UNRESERVED or (keep_slash and b == ord("/")):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def canonical_uri(raw_path: str) -> str:
    # S3 decodes the path the client sent and encodes each segment once again; never normalizes.
    segments = raw_path.split("/")
    return "/".join(aws_encode(urllib.parse.unquote_to_bytes(s)) for s in segments) or "/"


def canonical_query(raw_query: str) -> str:
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        # '+' is a literal plus here, as S3 reads it: unquote_to_bytes does not turn it into a space.
        pairs.append((aws_encode(urllib.parse.unquote_to_bytes(name)), aws_encode(urllib.parse.unquote_to_bytes(value))))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def hmac_sha256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    keys: dict = {}
    read_only: set = set()
    upstream = ("127.0.0.1", 0)
    local = threading.local()

    def log_message(self, fmt, *args):
        pass

    # Every method goes through the same path.
    def do_GET(self):
        self.handle_any()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def error(self, status, code, message, extra=""):
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
            "<RequestId>verifying-proxy</RequestId></Error>" % (code, escape(message), extra)
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length else b""

    def verify(self, body):
        """Returns None when the request is correctly signed, else (status, code, message, extra)."""
        auth = self.headers.get("Authorization")
        if not auth:
            return (403, "AccessDenied", "Anonymous access is not allowed: no Authorization header", "")
        m = re.match(
            r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
            r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$",
            auth.strip(),
        )
        if not m:
            return (400, "AuthorizationHeaderMalformed", "The authorization header is malformed", "")
        access_key, day, region, service, signed_headers, signature = m.groups()
        self.access_key = access_key
        secret = self.keys.get(access_key)
        if secret is None:
            return (
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                "<AWSAccessKeyId>%s</AWSAccessKeyId>" % escape(access_key),
            )
        amz_date = self.headers.get("x-amz-date")
        if not amz_date:
            return (403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return (403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", "")
        now = datetime.datetime.now(datetime.timezone.utc)
        if abs(now - when) > MAX_SKEW:
            return (
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                "<RequestTime>%s</RequestTime><ServerTime>%s</ServerTime>"
                % (amz_date, now.strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
        if day != amz_date[:8]:
            return (403, "SignatureDoesNotMatch", "Credential date does not match x-amz-date", "")
        payload = self.headers.get("x-amz-content-sha256")
        if not payload:
            return (400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256", "")
        names = signed_headers.split(";")
        if "host" not in names:
            return (403, "AccessDenied", "The host header must be signed", "")
        unsigned = sorted({k.lower() for k in self.headers.keys() if k.lower().startswith("x-amz-")} - set(names))
        if unsigned:
            return (
                403,
                "AccessDenied",
                "There were headers present in the request which were not signed",
                "<HeadersNotSigned>%s</HeadersNotSigned>" % escape(", ".join(unsigned)),
            )
        canonical_headers = ""
        for name in names:
            values = self.headers.get_all(name) or []
            canonical_headers += name + ":" + ",".join(" ".join(v.split()) for v in values) + "\n"
        raw_path, _, raw_query = self.path.partition("?")
        creq = "\n".join(
            [self.command, canonical_uri(raw_path), canonical_query(raw_query), canonical_headers, signed_headers, payload]
        )
        scope = f"{day}/{region}/{service}/aws4_request"
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
        key = ("AWS4" + secret).encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac_sha256(key, part)
        expected = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return (
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                "<AWSAccessKeyId>%s</AWSAccessKeyId><StringToSign>%s</StringToSign>"
                "<CanonicalRequest>%s</CanonicalRequest>" % (escape(access_key), escape(sts), escape(creq)),
            )
        if re.fullmatch(r"[0-9a-f]{64}", payload):
            actual = hashlib.sha256(body).hexdigest()
            if actual != payload:
                return (
                    400,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    "<ClientComputedContentSHA256>%s</ClientComputedContentSHA256>"
                    "<S3ComputedContentSHA256>%s</S3ComputedContentSHA256>" % (payload, actual),
                )
        elif payload not in ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"):
            return (400, "InvalidArgument", "unsupported x-amz-content-sha256 value: %s" % payload, "")
        return None

    def upstream_connection(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(*self.upstream, timeout=120)
            self.local.conn = conn
        return conn

    def handle_any(self):
        body = self.read_body()
        failure = self.verify(body)
        if not failure and self.access_key in self.read_only and self.command in ("PUT", "POST", "DELETE"):
            failure = (403, "AccessDenied", "Access Denied: this key may only read and list", "")
        if failure:
            self.error(*failure)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        for attempt in range(2):
            conn = self.upstream_connection()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt == 1:
                    self.error(503, "ServiceUnavailable", "the test S3 server behind the verifying proxy is not answering")
                    return
        self.send_response_only(resp.status, resp.reason)
        length = resp.getheader("Content-Length")
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-length", "server", "date"):
                self.send_header(k, v)
        if self.command == "HEAD" or resp.status in (204, 304):
            self.send_header("Content-Length", length or "0")
            self.end_headers()
            resp.read()
            return
        if length is not None:
            self.send_header("Content-Length", length)
            self.end_headers()
            remaining = int(length)
            while remaining > 0:
                chunk = resp.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)
        else:
            data = resp.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="moto_server URL, http://127.0.0.1:PORT")
    parser.add_argument("--access-key", action="append", required=True)
    parser.add_argument("--secret-key", action="append", required=True)
    parser.add_argument("--read-only-access-key", action="append", default=[])
    parser.add_argument("--read-only-secret-key", action="append", default=[])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if len(args.access_key) != len(args.secret_key):
        parser.error("give one --secret-key per --access-key")
    if len(args.read_only_access_key) != len(args.read_only_secret_key):
        parser.error("give one --read-only-secret-key per --read-only-access-key")
    upstream = urllib.parse.urlsplit(args.upstream)
    Handler.upstream = (upstream.hostname, upstream.port)
    Handler.keys = dict(zip(args.access_key, args.secret_key))
    Handler.keys.update(zip(args.read_only_access_key, args.read_only_secret_key))
    Handler.read_only = set(args.read_only_access_key)
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
