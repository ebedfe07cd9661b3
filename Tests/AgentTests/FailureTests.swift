import ObjectStore
import PondFiles
import Replication
import SystemPackage
import TLogFS
import Testing

@testable import Agent

@Suite("agent: which failures need a person")
struct FailureTests {
  static func storeError(_ kind: ObjectStoreError.Kind, status: Int?, code: String?)
    -> ObjectStoreError
  {
    ObjectStoreError(
      kind, store: "s3://bucket/pond", key: "_delta_log/00000000000000000001.json",
      operation: "PUT",
      message: "test", s3Code: code, httpStatus: status)
  }

  @Test("diverged histories, refused credentials and a full disk stop the job")
  func needsPerson() {
    let full = FileIOError(.write, path: "/pond/data/x", errno: .noSpace)
    let cases: [(any Error, String)] = [
      (ReplicationError(.diverged, "the remote holds another history"), "diverged"),
      (Self.storeError(.rejected, status: 403, code: "AccessDenied"), "credentials"),
      (Self.storeError(.rejected, status: 400, code: "InvalidAccessKeyId"), "credentials"),
      (full, "disk full"),
      (ReplicationError(.localIO, "cannot install", underlying: full), "disk full"),
      (
        Self.storeError(.localIO, status: nil, code: nil).withFileError(full), "disk full"
      ),
      (PondError(.io, path: "/pond", "write failed", errno: .noSpace), "disk full"),
    ]
    for (error, kind) in cases {
      let failure = Failure(error)
      #expect(failure.kind == kind, "\(error)")
      #expect(failure.needsPerson != nil, "\(error)")
    }
  }

  @Test("network trouble, server errors, throttling and other local failures are retried")
  func retried() {
    let cases: [(any Error, String)] = [
      (Self.storeError(.serverError, status: 503, code: "SlowDown"), "transient"),
      (Self.storeError(.network, status: nil, code: nil), "transient"),
      (Self.storeError(.notFound, status: 404, code: "NoSuchBucket"), "remote"),
      (ReplicationError(.damaged, "a data file is missing on the remote"), "damaged"),
      (FileIOError(.read, path: "/pond/data/x", errno: .ioError), "local"),
      (PondError(.locked, path: "/pond", "a writer holds the lock"), "locked"),
    ]
    for (error, kind) in cases {
      let failure = Failure(error)
      #expect(failure.kind == kind, "\(error)")
      #expect(failure.needsPerson == nil, "\(error)")
    }
  }
}

extension ObjectStoreError {
  fileprivate func withFileError(_ fileError: FileIOError) -> ObjectStoreError {
    ObjectStoreError(
      kind, store: store, key: key, operation: operation, message: message, fileError: fileError)
  }
}
