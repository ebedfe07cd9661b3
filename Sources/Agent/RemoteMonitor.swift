import Metrics
import PondTime
import Replication
import Synchronization

/// What the agent knows of one (pond, remote) job: heads, lag, last success, whether it stopped. The job's
/// service writes it; `/healthz` and `/metrics` read it. `Sendable` through its `Mutex`.
final class RemoteMonitor: Sendable {
  struct State: Sendable {
    /// -1 until known.
    var localHead: Int64 = -1
    /// The highest version known to be on both sides (-1 until known).
    var sharedHead: Int64 = -1
    /// When the oldest version not yet on the other side was committed (ms), when one is waiting.
    var oldestWaitingCommit: UTCMilliseconds?
    /// When the two sides were last seen in step (ms); the agent's start until then.
    var inStepSince: UTCMilliseconds
    var lastSuccess: UTCMilliseconds?
    var failureStreak = 0
    /// The failure of the streak in progress (or the one that stopped the job).
    var lastError: String?
    /// Why the service stopped, when a person must act.
    var stopped: String?
  }

  let job: AgentConfiguration.Job
  private let state: Mutex<State>

  private let dimensions: [(String, String)]
  private let localHeadGauge: Gauge
  private let behindGauge: Gauge
  private let lagGauge: Gauge
  private let lastSuccessGauge: Gauge
  private let stoppedGauge: Gauge
  private let bytesCounter: Counter
  private let objectsCounter: Counter
  let durationTimer: Timer

  init(job: AgentConfiguration.Job) {
    self.job = job
    state = Mutex(State(inStepSince: .now()))
    dimensions = [("pond", job.pond), ("remote", job.remoteName)]
    localHeadGauge = Gauge(label: "pond_agent_local_head_version", dimensions: dimensions)
    behindGauge = Gauge(label: "pond_agent_versions_behind", dimensions: dimensions)
    lagGauge = Gauge(label: "pond_agent_lag_seconds", dimensions: dimensions)
    lastSuccessGauge = Gauge(
      label: "pond_agent_last_success_timestamp_seconds", dimensions: dimensions)
    stoppedGauge = Gauge(label: "pond_agent_stopped", dimensions: dimensions)
    let shipped = job.isPush ? "shipped" : "fetched"
    bytesCounter = Counter(label: "pond_agent_bytes_\(shipped)_total", dimensions: dimensions)
    objectsCounter = Counter(label: "pond_agent_objects_\(shipped)_total", dimensions: dimensions)
    durationTimer = Timer(
      label: job.isPush ? "pond_agent_push_duration_seconds" : "pond_agent_pull_duration_seconds",
      dimensions: dimensions)
    stoppedGauge.record(0)
  }

  var current: State { state.withLock { $0 } }

  /// Records a successful push or pull that left the sides in step up to `sharedHead` of `localHead`
  /// (`oldestWaiting`: the commit time of the version after `sharedHead`, when the pond is ahead).
  func succeeded(
    localHead: Int64, sharedHead: Int64, oldestWaiting: UTCMilliseconds?, objects: Int, bytes: Int64
  ) {
    let now = UTCMilliseconds.now()
    state.withLock {
      $0.localHead = localHead
      $0.sharedHead = sharedHead
      $0.oldestWaitingCommit = sharedHead >= localHead ? nil : oldestWaiting
      if sharedHead >= localHead { $0.inStepSince = now }
      $0.lastSuccess = now
      $0.failureStreak = 0
      $0.lastError = nil
    }
    if objects > 0 { objectsCounter.increment(by: objects) }
    if bytes > 0 { bytesCounter.increment(by: Int(bytes)) }
  }

  /// Records that the pond has a version `head` the remote may lack, committed at `committed`.
  func noticed(head: Int64, committed: UTCMilliseconds?) {
    state.withLock {
      if head > $0.localHead { $0.localHead = head }
      if $0.oldestWaitingCommit == nil, $0.sharedHead < head { $0.oldestWaitingCommit = committed }
    }
  }

  /// Counts a failure (`error`, of `failure`'s kind); returns the length of the streak it extends.
  func failed(_ failure: Failure, _ error: any Error) -> Int {
    Counter(label: "pond_agent_errors_total", dimensions: dimensions + [("kind", failure.kind)])
      .increment()
    return state.withLock {
      $0.lastError = "\(failure.kind): \(error)"
      $0.failureStreak += 1
      return $0.failureStreak
    }
  }

  /// Ends a failure streak (the operation that succeeded recorded its own results).
  func recovered() {
    state.withLock {
      $0.failureStreak = 0
      $0.lastError = nil
    }
  }

  func stop(_ reason: String) {
    state.withLock {
      $0.stopped = reason
      $0.lastError = reason
    }
    stoppedGauge.record(1)
  }

  /// How long the oldest version not yet on the other side has waited (0 when in step), in seconds. A
  /// follower knows its remote's head only after a pull: its lag is the time since its last pull that
  /// found nothing more to install.
  func lag(at now: UTCMilliseconds) -> Double {
    let state = current
    let since: UTCMilliseconds
    if job.isPush {
      if state.lastSuccess != nil && state.sharedHead >= state.localHead { return 0 }
      since = state.oldestWaitingCommit ?? state.inStepSince
    } else {
      since = state.inStepSince
    }
    return max(0, Double(now.rawValue - since.rawValue) / 1000)
  }

  /// The job's state for `pond status` (`local/agent-state.yaml`).
  var status: AgentRemoteStatus {
    let state = current
    return AgentRemoteStatus(
      remote: job.remoteName, job: job.verb, localHead: state.localHead,
      versionsBehind: state.sharedHead >= 0 ? max(0, state.localHead - state.sharedHead) : nil,
      lastSuccess: state.lastSuccess, lastError: state.lastError, stopped: state.stopped != nil,
      updated: .now())
  }

  /// Sets the gauges that depend on the time (called before `/metrics` is written).
  func updateGauges(at now: UTCMilliseconds) {
    let state = current
    localHeadGauge.record(state.localHead)
    if state.sharedHead >= 0 {
      behindGauge.record(max(0, state.localHead - state.sharedHead))
    }
    lagGauge.record(lag(at: now))
    if let success = state.lastSuccess {
      lastSuccessGauge.record(Double(success.rawValue) / 1000)
    }
  }
}

extension AgentConfiguration.Job {
  var isPush: Bool {
    if case .push = mode { return true }
    return false
  }

  /// `push` or `follow`, for logs.
  var verb: String { isPush ? "push" : "follow" }
}
