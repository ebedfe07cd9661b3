import Foundation
import Logging
import Metrics
import PondFiles
import PondTime
import ServiceLifecycle

/// Runs `pond run` on one pond every `every` (docs/pipeline.md): the resources' lifecycle in a process of its
/// own, the `pond` beside `pond-agent`, so that a collector's crash or memory stays out of the agent. When a
/// push job ships the pond, it pushes what the run commits (`--no-backup`); otherwise the run's own Backup
/// pushes to the pond's remotes. Each run's outcome is logged (each failed resource
/// named) and counted; shutdown stops a run in flight with SIGTERM (a run commits atomically: what it had
/// not committed is not there, and the next run resumes).
struct ResourceRunService: Service {
  let run: AgentConfiguration.Run
  let logger: Logger
  let environment: [String: String]
  /// The `pond` program.
  let pond: String
  /// True when no push job of the agent ships this pond: `pond run` then pushes to the pond's remotes itself
  /// (its Backup phase).
  var backup = false

  private var dimensions: [(String, String)] { [("pond", run.pond)] }

  func run() async throws {
    await cancelWhenGracefulShutdown {
      let clock = ContinuousClock()
      var next = clock.now
      while !Task.isCancelled {
        await runOnce()
        next = max(next.advanced(by: run.every), clock.now)
        do {
          try await Task.sleep(until: next, clock: clock)
        } catch {
          return
        }
      }
    }
  }

  /// One `pond run`: waits for it (SIGTERM to it when cancelled), then logs and counts its outcome.
  func runOnce() async {
    let started = ContinuousClock.now
    let arguments =
      ["run", "--json", "--pond", run.pond] + (backup ? [] : ["--no-backup"]) + run.resources
    let result: (status: Int32, stdout: String, stderr: String)
    do {
      result = try await Self.execute(pond, arguments, environment: environment)
    } catch is CancellationError {
      return
    } catch {
      logger.error("resources of \(run.pond): cannot run \(pond): \(error)")
      Counter(
        label: "pond_agent_resource_runs_total", dimensions: dimensions + [("result", "error")]
      )
      .increment()
      return
    }
    let elapsed = (ContinuousClock.now - started).components
    let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    Timer(label: "pond_agent_resource_run_duration_seconds", dimensions: dimensions)
      .recordSeconds(seconds)
    let ok = result.status == 0
    Counter(
      label: "pond_agent_resource_runs_total",
      dimensions: dimensions + [("result", ok ? "ok" : "failed")]
    ).increment()
    if ok {
      Gauge(label: "pond_agent_resource_last_success_timestamp_seconds", dimensions: dimensions)
        .record(Double(UTCMilliseconds.now().rawValue) / 1000)
    }
    // The report names each resource; a failure before any ran (a cycle, a bad pond) is on stderr.
    let outcomes = Self.outcomes(inReport: result.stdout)
    for outcome in outcomes {
      let line =
        "resource \(outcome.kind) \(outcome.name) of \(run.pond): \(outcome.status): \(outcome.message)"
      switch outcome.status {
      case "failed", "skipped": logger.error("\(line)")
      case "ok": logger.info("\(line)")
      default: logger.debug("\(line)")
      }
    }
    if !ok && outcomes.isEmpty {
      logger.error(
        "resources of \(run.pond): pond run exited \(result.status): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
      )
    }
  }

  struct Outcome: Decodable {
    var name: String
    var kind: String
    var status: String
    var message: String
  }

  private struct Report: Decodable { var resources: [Outcome] }

  static func outcomes(inReport text: String) -> [Outcome] {
    (try? JSONDecoder().decode(Report.self, from: Data(text.utf8)))?.resources ?? []
  }

  /// Runs `program` with `arguments`, its output collected; a cancelled task sends it SIGTERM and waits.
  static func execute(_ program: String, _ arguments: [String], environment: [String: String])
    async throws -> (status: Int32, stdout: String, stderr: String)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let pid = process.processIdentifier
    return try await withTaskCancellationHandler {
      // Both pipes are read to their ends before the wait, on threads of their own (a full pipe would
      // stop the child).
      async let stdout = BlockingPool.shared.run {
        output.fileHandleForReading.readDataToEndOfFile()
      }
      async let stderr = BlockingPool.shared.run {
        errors.fileHandleForReading.readDataToEndOfFile()
      }
      let (out, err) = try await (stdout, stderr)
      try await BlockingPool.shared.run { process.waitUntilExit() }
      if Task.isCancelled { throw CancellationError() }
      return (
        process.terminationStatus, String(decoding: out, as: UTF8.self),
        String(decoding: err, as: UTF8.self)
      )
    } onCancel: {
      kill(pid, SIGTERM)
    }
  }

  /// `pond` in the directory of the running `pond-agent`.
  static func pondBeside() -> String { RunningExecutable.sibling(named: "pond") }
}
