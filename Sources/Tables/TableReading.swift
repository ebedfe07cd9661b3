import Parquet
import TLogFS

extension PondStore {
  /// A Parquet reader of the stored bytes of `version` (in memory when inline, the plain copy in
  /// `local/tables/` when large): the one way the Tables layer opens a table version.
  func parquetReader(of version: TableVersion) throws -> ParquetReader {
    switch try tableContent(version) {
    case .bytes(let bytes):
      return try ParquetReader(bytes: bytes, name: "pond version \(version.transaction)")
    case .file(let path):
      return try ParquetReader(path: path)
    }
  }
}
