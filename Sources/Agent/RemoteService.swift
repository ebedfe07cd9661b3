import DeltaLog
import Logging
import Metrics
import ObjectStore
import PondFiles
import PondTime
import Replication
import ServiceLifecycle
import TLogFS

/// Keeps one remote of one pond up to date, with Replication's `Replicator`: pushes when a commit appears
/// and on a schedule, or pulls at an interval. Transient failures are retried forever with the object
/// store's capped exponential backoff and jitter; a failure that needs a person stops this service only.
/// It ends on graceful shutdown, cancelling a push or pull in flight (the remote stays consistent: at worst
/// orphan objects that the next push reuses).
struct RemoteService: Service {
  let monitor: RemoteMonitor
  let logger: Logger
  let environment: [String: String]
  /// Writes the state of every job of this pond to its `local/agent-state.yaml` (`pond status` shows it).
  let saveStatus: @Sendable () async -> Void
  /// Between retries of a failed push or pull: no attempt limit, only the waits.
  var backoff = RetryPolicy(
    maxAttempts: .max, baseDelay: .seconds(1), maxDelay: .seconds(30), jitter: 0.5)
  /// How often the pond's next commit file is looked for.
  static let commitPoll = Duration.milliseconds(200)
  /// After a commit appears, the wait for more of a burst to ship them in one push.
  static let burstWait = Duration.milliseconds(100)

  var job: AgentConfiguration.Job { monitor.job }

  func run() async throws {
    await cancelWhenGracefulShutdown {
      do {
        try await keepUpToDate()
      } catch is CancellationError {
      } catch {
        // Only cancellation should end the loops; anything else stops this job, never the agent.
        await stop(Failure(kind: "other", needsPerson: "report this as a bug"), error)
      }
    }
  }

  private func keepUpToDate() async throws {
    // Opening fails when a file:// remote's disk is not mounted yet: retried like any other failure.
    var opened: Replicator?
    guard
      try await attempt({
        opened = Replicator(
          pondRoot: job.pond,
          store: try job.remote.open(environment: environment, retry: RetryPolicy()))
      }), let replicator = opened
    else { return }
    switch job.mode {
    case .push(let onCommit, let every):
      try await pushLoop(replicator, onCommit: onCommit, every: every)
    case .follow(let interval):
      while true {
        guard try await attempt({ try await pull(replicator) }) else { return }
        try await Task.sleep(for: interval)
      }
    }
  }

  /// Pushes now (resuming from where the remote is), then whenever the next commit file appears (a burst
  /// of commits is one push) or `every` has passed.
  private func pushLoop(_ replicator: Replicator, onCommit: Bool, every: Duration?) async throws {
    let clock = ContinuousClock()
    var scheduled = every.map { clock.now + $0 }
    var due = true
    while true {
      if due {
        guard try await attempt({ try await push(replicator) }) else { return }
        due = false
      }
      try await Task.sleep(for: Self.commitPoll)
      if onCommit, let committed = try await commitTime(of: monitor.current.localHead + 1) {
        monitor.noticed(head: monitor.current.localHead + 1, committed: committed)
        try await Task.sleep(for: Self.burstWait)
        due = true
      }
      if let deadline = scheduled, let every, clock.now >= deadline {
        scheduled = clock.now + every
        due = true
      }
    }
  }

  /// When the pond's commit `version` was made (its `commitInfo` time), nil while that commit file does not
  /// exist: one `stat`, and a read of the small commit file only when it is there. The log is not replayed.
  private func commitTime(of version: Int64) async throws -> UTCMilliseconds? {
    let path =
      job.pond + "/" + PondLayout.dataDirectory + "/" + PondLayout.commitKey(version: version)
    return try await BlockingPool.shared.run {
      guard (try? LocalFiles.status(path)) ?? nil != nil else { return nil }
      let commit = try? CommitFile(parsing: try LocalFiles.readFile(path), version: version)
      // A commit whose time cannot be read still counts as waiting, from now.
      return UTCMilliseconds(rawValue: commit?.info?.timestamp ?? UTCMilliseconds.now().rawValue)
    }
  }

  private func push(_ replicator: Replicator) async throws {
    let start = ContinuousClock.now
    let firstSuccess = monitor.current.lastSuccess == nil
    let report = try await replicator.push()
    monitor.durationTimer.record(duration: ContinuousClock.now - start)
    let waiting =
      report.remoteHead < report.localHead ? try await commitTime(of: report.remoteHead + 1) : nil
    monitor.succeeded(
      localHead: report.localHead, sharedHead: min(report.remoteHead, report.localHead),
      oldestWaiting: waiting, objects: report.objectsUploaded, bytes: report.bytesUploaded)
    if report.versionsPushed > 0 || firstSuccess {
      await saveStatus()
    }
    if report.versionsPushed > 0 {
      logger.info(
        "pushed versions \(report.remoteHeadBefore + 1)...\(report.remoteHead) of \(job.pond) to \(job.remoteName): \(report.objectsUploaded) object(s), \(report.bytesUploaded) bytes"
      )
    }
  }

  private func pull(_ replicator: Replicator) async throws {
    let start = ContinuousClock.now
    let firstSuccess = monitor.current.lastSuccess == nil
    let report = try await replicator.pull()
    monitor.durationTimer.record(duration: ContinuousClock.now - start)
    monitor.succeeded(
      localHead: report.head, sharedHead: report.head, oldestWaiting: nil,
      objects: report.objectsFetched, bytes: report.bytesFetched)
    if report.versionsInstalled > 0 || firstSuccess {
      await saveStatus()
    }
    if report.versionsInstalled > 0 {
      logger.info(
        "installed versions \(report.headBefore + 1)...\(report.head) of \(job.remoteName) into \(job.pond): \(report.objectsFetched) object(s), \(report.bytesFetched) bytes"
      )
    }
  }

  /// Runs `operation` until it succeeds (true) or fails in a way that needs a person (false, the service
  /// stopped). One log line when a failure streak starts and one when it ends, not one per retry.
  private func attempt(_ operation: () async throws -> Void) async throws -> Bool {
    var streak = 0
    while true {
      do {
        try await operation()
        if streak > 0 {
          monitor.recovered()
          await saveStatus()
          logger.notice(
            "\(job.verb) \(job.pond) \(job.remoteName): recovered after \(streak) failed attempt(s)"
          )
        }
        return true
      } catch {
        if Task.isCancelled || error is CancellationError { throw CancellationError() }
        let failure = Failure(error)
        streak = monitor.failed(failure, error)
        if failure.needsPerson != nil {
          await stop(failure, error)
          return false
        }
        if streak == 1 {
          await saveStatus()
          logger.warning(
            "\(job.verb) \(job.pond) \(job.remoteName) failing (\(failure.kind)): \(error); retrying with backoff"
          )
        }
        try await Task.sleep(for: backoff.delay(forAttempt: min(streak, 30) + 1))
      }
    }
  }

  private func stop(_ failure: Failure, _ error: any Error) async {
    monitor.stop("\(failure.kind): \(error)")
    await saveStatus()
    logger.critical(
      "\(job.verb) \(job.pond) \(job.remoteName) stopped (\(failure.kind)): \(error); \(failure.needsPerson ?? "")"
    )
  }
}
