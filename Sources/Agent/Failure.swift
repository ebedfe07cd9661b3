import ObjectStore
import PondCurl
import PondFiles
import Replication
import SystemPackage
import TLogFS

/// What a failed push or pull means for the agent: whether a person must act (the service for that remote
/// stops) or another try may succeed (it retries with backoff, forever), and its kind for `/metrics`.
struct Failure: Sendable, Equatable {
  /// The `kind` label of `pond_agent_errors_total`.
  let kind: String
  /// Set when no retry can help: what the person must do.
  let needsPerson: String?

  init(kind: String, needsPerson: String? = nil) {
    self.kind = kind
    self.needsPerson = needsPerson
  }

  /// Classifies `error` (a `ReplicationError`, `ObjectStoreError`, `PondError`, `FileIOError` or `CurlError`).
  init(_ error: any Error) {
    switch error {
    case let error as ReplicationError where error.code == .diverged:
      self.init(
        kind: "diverged",
        needsPerson: "the remote holds another history; see 'pond verify' and docs/replication.md")
    case let error as ReplicationError:
      if let underlying = error.underlying {
        self.init(underlying)
      } else {
        self.init(
          kind: error.code == .damaged ? "damaged" : error.code == .localIO ? "local" : "other")
      }
    case let error as ObjectStoreError:
      if error.httpStatus == 403 || error.s3Code.map(Self.credentialCodes.contains) == true {
        self.init(
          kind: "credentials",
          needsPerson:
            "the remote refused the credentials; check AWS_* or the profile, then restart")
      } else if let fileError = error.fileError {
        self.init(fileError)
      } else if RetryPolicy.isRetryable(error) {
        self.init(kind: "transient")
      } else {
        self.init(kind: "remote")
      }
    case let error as PondError where error.errno == .noSpace:
      self.init(kind: "disk full", needsPerson: Self.diskFull)
    case let error as PondError:
      self.init(kind: error.code == .locked ? "locked" : "local")
    case let error as FileIOError:
      self.init(
        kind: error.errno == .noSpace ? "disk full" : "local",
        needsPerson: error.errno == .noSpace ? Self.diskFull : nil)
    case let error as CurlError:
      self.init(kind: error.isTransient ? "transient" : "network")
    default:
      self.init(kind: "other")
    }
  }

  static let diskFull = "the disk is full; free space, then restart the agent"

  /// S3 error codes that mean the credentials were refused, whatever the status.
  static let credentialCodes: Set = [
    "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
    "InvalidToken",
  ]
}
