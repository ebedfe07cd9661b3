import Testing
import TinyFS

/// A fresh file system over a fresh in-memory persistence.
func makeFileSystem(
  factories: [String: any DynamicDirectoryFactory] = [:]
) throws -> (FileSystem, InMemoryPersistence) {
  let persistence = InMemoryPersistence()
  let fileSystem = try FileSystem(persistence: persistence, dynamicFactories: factories)
  return (fileSystem, persistence)
}

/// Expects `body` to throw a `FileSystemError` with `code`, and returns it.
@discardableResult
func expectError<T>(
  _ code: FileSystemError.Code, sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> T
) -> FileSystemError? {
  do {
    let value = try body()
    Issue.record("expected error '\(code)', got \(value)", sourceLocation: sourceLocation)
  } catch let error as FileSystemError {
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    return error
  } catch {
    Issue.record(
      "expected a FileSystemError '\(code)', got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

extension String {
  var bytes: [UInt8] { Array(utf8) }
}

/// A read-only view of another directory: each file's bytes reversed; subdirectories are views too.
struct ReversedView: DynamicDirectory {
  let fileSystem: FileSystem
  let source: String

  func childNames() throws -> [String] {
    try fileSystem.list(source).map(\.name)
  }

  func child(named name: String) throws -> DynamicChild? {
    let path = source == "/" ? "/" + name : source + "/" + name
    guard try fileSystem.exists(path) else { return nil }
    let info = try fileSystem.lstat(path)
    switch info.entryType {
    case .file, .series, .table, .tableSeries:
      return .file(try fileSystem.readFile(path).reversed())
    case .directory, .dynamic: return .directory(ReversedView(fileSystem: fileSystem, source: path))
    case .symlink: return .symlink(try fileSystem.readSymlink(path))
    }
  }
}

/// Makes `ReversedView`s; the configuration is the source directory's path.
struct ReversedFactory: DynamicDirectoryFactory {
  func makeDirectory(configuration: [UInt8], fileSystem: FileSystem) throws -> any DynamicDirectory
  {
    let source = String(decoding: configuration, as: UTF8.self)
    guard try fileSystem.stat(source).entryType.isDirectory else {
      throw FileSystemError(.notADirectory, operation: "reversed", path: source)
    }
    return ReversedView(fileSystem: fileSystem, source: source)
  }
}
