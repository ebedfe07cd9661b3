import Foundation
import PondTestSupport

/// A small HTTP/1.1 server (Python `http.server`) on 127.0.0.1 and a free port, started by a test and
/// stopped by its PID.
final class LocalHTTPServer: @unchecked Sendable {
  // Safe: all fields are set in init and only read afterwards.
  let process: Process
  let port: Int
  var baseURL: String { "http://127.0.0.1:\(port)" }

  static let script = #"""
    import hashlib, http.server, socketserver, sys, time

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args):
            pass
        def reply(self, status, body, extra=None):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        def do_HEAD(self):
            self.do_GET()
        def do_GET(self):
            if self.path == "/hello":
                self.reply(200, b"hello, pond", {"X-Test": "yes"})
            elif self.path == "/missing":
                self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>")
            elif self.path == "/stall":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(20)
            elif self.path == "/truncated":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"y" * 10)
                self.wfile.flush()
                self.close_connection = True
            elif self.path.startswith("/bytes/"):
                n = int(self.path[len("/bytes/"):])
                body = bytes(i % 251 for i in range(n))
                self.reply(200, body)
            elif self.path == "/headers":
                lines = "".join(f"{k.lower()}: {v}\n" for k, v in self.headers.items())
                self.reply(200, lines.encode())
            else:
                self.reply(404, b"unknown path")
        def do_PUT(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            digest = hashlib.sha256(body).hexdigest()
            self.reply(201, f"{len(body)} {digest}".encode())
        do_POST = do_PUT
        def do_DELETE(self):
            self.reply(204, b"")

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

  init() throws {
    guard let python = TestSupport.python ?? TestSupport.which("python3") else {
      throw ServerUnavailable(description: "python3 for the local HTTP test server")
    }
    let process = Process()
    process.executableURL = python
    process.arguments = ["-c", Self.script]
    process.standardError = FileHandle.nullDevice
    guard let port = try TestSupport.startPrintingPort(process) else {
      throw ServerUnavailable(description: "the local HTTP test server did not start")
    }
    self.process = process
    self.port = port
  }

  deinit {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  /// A loopback port nobody listens on: bound, then closed.
  static func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        _ = bind(fd, pointer, length)
        return getsockname(fd, pointer, &length)
      }
    }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}

struct ServerUnavailable: Error, CustomStringConvertible {
  var description: String
}
