import FoundationEssentials
import Hummingbird
import Logging
import Metrics
import PondFiles
import PondTime
import Prometheus
import Replication
import ServiceLifecycle

/// The running agent: one `RemoteService` per job, the HTTP listener, all in one `ServiceGroup` that ends on
/// SIGTERM or SIGINT.
public enum Agent {
  /// Runs the agent until SIGTERM or SIGINT. Bootstraps swift-log (standard error, for journald) and
  /// swift-metrics (Prometheus): call once per process.
  public static func run(_ configuration: AgentConfiguration, environment: [String: String])
    async throws
  {
    let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    let logger = Logger(label: "pond-agent")

    let monitors = configuration.jobs.map(RemoteMonitor.init(job:))
    var services = monitors.map { monitor in
      let pond = monitor.job.pond
      let ofPond = monitors.filter { $0.job.pond == pond }
      let save: @Sendable () async -> Void = {
        let statuses = ofPond.map(\.status)
        do {
          try await BlockingPool.shared.run {
            try AgentStatusFile.write(statuses, pondRoot: pond)
          }
        } catch is CancellationError {
        } catch {
          logger.warning("\(error)")
        }
      }
      return ServiceGroupConfiguration.ServiceConfiguration(
        service: RemoteService(
          monitor: monitor, logger: logger, environment: environment, saveStatus: save),
        // A job stopped for a person ends its service only; the others go on.
        successTerminationBehavior: .ignore,
        serviceName: "\(monitor.job.verb) \(monitor.job.pond) \(monitor.job.remoteName)")
    }
    let pond = ResourceRunService.pondBeside()
    for run in configuration.runs {
      services.append(
        .init(
          service: ResourceRunService(
            run: run, logger: logger, environment: environment, pond: pond,
            backup: !configuration.jobs.contains { $0.pond == run.pond && $0.isPush }),
          successTerminationBehavior: .ignore, serviceName: "run \(run.pond)"))
    }
    let router = Router()
    router.get("/healthz") { _, _ in health(monitors) }
    router.get("/metrics") { _, _ in
      let now = UTCMilliseconds.now()
      for monitor in monitors { monitor.updateGauges(at: now) }
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
    var httpLogger = logger
    httpLogger.logLevel = max(level, .notice)
    let application = Application(
      router: router,
      configuration: ApplicationConfiguration(
        address: .hostname(configuration.host, port: configuration.port), serverName: nil),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? configuration.port
        let runs =
          configuration.runs.isEmpty ? "" : ", \(configuration.runs.count) scheduled run(s)"
        logger.notice(
          "listening on http://\(configuration.host):\(port) (/healthz, /metrics); \(monitors.count) job(s)\(runs)"
        )
      },
      logger: httpLogger)
    services.append(.init(service: application, serviceName: "http"))
    var groupConfiguration = ServiceGroupConfiguration(
      services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: httpLogger)
    // SIGTERM must end the agent within 10 s: what has not stopped by then is cancelled.
    groupConfiguration.maximumGracefulShutdownDuration = .seconds(7)
    let group = ServiceGroup(configuration: groupConfiguration)
    try await group.run()
    logger.notice("stopped")
  }

  /// 200 when every job is within its RPO and running; 503 with a JSON body naming each late or stopped one.
  static func health(_ monitors: [RemoteMonitor]) -> Response {
    let now = UTCMilliseconds.now()
    let late = monitors.compactMap { monitor -> HealthReport.Late? in
      let lag = monitor.lag(at: now)
      let rpo =
        Double(monitor.job.rpo.components.seconds)
        + Double(monitor.job.rpo.components.attoseconds) / 1e18
      let stopped = monitor.current.stopped
      guard lag > rpo || stopped != nil else { return nil }
      return HealthReport.Late(
        pond: monitor.job.pond, remote: monitor.job.remoteName, job: monitor.job.verb,
        lagSeconds: lag, rpoSeconds: rpo, lateBySeconds: max(0, lag - rpo), stopped: stopped)
    }
    let report = HealthReport(status: late.isEmpty ? "ok" : "late", late: late)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let body: [UInt8] = ((try? encoder.encode(report)).map { Array($0) } ?? []) + [0x0A]
    return Response(
      status: late.isEmpty ? .ok : .serviceUnavailable,
      headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
  }
}

/// The body of `/healthz`.
struct HealthReport: Codable, Sendable {
  struct Late: Codable, Sendable {
    var pond: String
    var remote: String
    var job: String
    var lagSeconds: Double
    var rpoSeconds: Double
    var lateBySeconds: Double
    /// Why the job stopped, when it needs a person.
    var stopped: String?
  }

  var status: String
  var late: [Late]
}
