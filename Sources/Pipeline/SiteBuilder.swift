import FoundationEssentials
import PondCrypto
import PondFiles
public import TLogFS
import TinyFS

/// What a site build did.
public struct SiteBuildReport: Sendable, Hashable, Encodable {
  /// The host directory written.
  public var directory: String
  /// The pond version read.
  public var version: Int64
  /// Series pages.
  public var series: Int
  /// Files the site holds (the manifest not counted).
  public var files: Int
  /// Their bytes.
  public var bytes: Int64
  /// Files written because they were new or their inputs changed.
  public var written: Int
  /// Files left as they were: their inputs had not changed.
  public var kept: Int
  /// Files of the previous build that the site no longer has.
  public var removed: Int
}

/// `pond site build`: a static site of every reduced series (docs/pipeline.md, "Site").
///
/// The output is `index.html`, `site.js`, `site.css`, dygraphs' files, and per series
/// `series/<path>/index.html` with data files `series/<path>/res=<resolution>/<n>.js` holding the buckets
/// of `[n × span, (n + 1) × span)`, span = 1,500 buckets. `.pond-site.json` records the inputs of every
/// file (table versions' SHA-256s, the station file's, the assets'); a rebuild writes only files whose
/// inputs changed and removes those no longer made. The same pond version gives the same bytes.
public enum SiteBuilder {
  /// The manifest's name in the output directory.
  public static let manifestName = ".pond-site.json"

  /// Part of every file's inputs: change it when what a file is made into changes (the pages' HTML, the
  /// data files' format), so that a rebuild by a newer `pond` rewrites the files an older one made.
  static let format = "pond-site-2"

  /// dygraphs' files copied into the site: required, then optional (source maps the others name).
  static let dygraphsFiles = ["dygraph.min.js", "dygraph.min.css"]
  static let dygraphsMaps = ["dygraph.min.js.map", "dygraph.min.css.map"]

  /// Builds the site of `configuration` from `store` (open for reading) at `version` (nil: the head) into
  /// the host directory `directory`, which must be missing, empty, or a site built before.
  ///
  /// Runs on the calling thread, which blocks on file I/O.
  public static func build(
    _ configuration: SiteConfiguration, from store: PondStore, at version: Int64? = nil,
    into directory: String
  ) throws -> SiteBuildReport {
    var assets: [(name: String, bytes: [UInt8])] = []
    for name in dygraphsFiles + dygraphsMaps {
      let path = configuration.dygraphs + "/" + name
      do {
        assets.append((name, try LocalFiles.readFile(path)))
      } catch  where dygraphsMaps.contains(name) && error.errno == .noSuchFileOrDirectory {
        continue
      } catch {
        throw SiteError(
          .dygraphs, path: path, "cannot be read: \(error)",
          hint:
            "install Debian's libjs-dygraphs ('apt-get install libjs-dygraphs') or give --dygraphs the directory holding dygraph.min.js"
        )
      }
    }
    assets.append(("site.js", Array(SiteAssets.script.utf8)))
    assets.append(("site.css", Array(SiteAssets.style.utf8)))
    assets.append(("icon.svg", Array(SiteAssets.icon.utf8)))

    let readVersion = version ?? store.head
    let fileSystem = try store.fileSystem(at: version)
    let found = try SiteSeries.find(configuration, store: store, fileSystem: fileSystem)
    var output = try SiteOutput(directory: directory)

    for asset in assets {
      try output.emit(
        asset.name, inputs: digest(["asset", asset.name], asset.bytes),
        from: asset.name.hasPrefix("dygraph") ? configuration.dygraphs + "/" + asset.name : "pond"
      ) { asset.bytes }
    }
    var summaries = SiteSummaries(store: store, fileSystem: fileSystem)
    var indexInputs = ["index", configuration.title]
    for series in found {
      var pageInputs = [
        "page", configuration.title, series.path, series.name, series.timeColumn,
        series.stationDigest ?? "no station",
      ]
      pageInputs += series.columns
      for resolution in series.resolutions {
        pageInputs += [resolution.path, "\(resolution.versions.count)"]
        if let last = resolution.versions.last {
          pageInputs += ["\(last.node)", "\(last.version)", last.sha256]
        }
      }
      let pageDigest = digest(pageInputs)
      indexInputs.append(pageDigest)
      let base = "series/\(series.directory)"
      try output.emit(
        base + "/index.html", inputs: pageDigest,
        from: ([series.path] + series.resolutions.map(\.path)).joined(separator: " ")
      ) {
        Array(
          try SitePages.page(title: configuration.title, summary: try summaries.summary(of: series))
            .utf8)
      }
      for (index, resolution) in series.resolutions.enumerated() {
        let span = resolution.spanMilliseconds
        for number in resolution.chunks {
          var inputs = ["chunk", resolution.name, series.timeColumn] + series.columns
          let versions = resolution.versions(inChunk: number)
          for version in versions {
            inputs += ["\(version.node)", "\(version.version)", version.sha256]
          }
          try output.emit(
            "\(base)/res=\(resolution.name)/\(number).js", inputs: digest(inputs),
            from: "\(resolution.path) versions \(runs(versions.map(\.version)))"
          ) {
            SitePages.data(
              resolution: resolution.name, number: number,
              rows: try summaries.reader(series).rows(
                resolution: index, from: number * span, to: (number + 1) * span))
          }
        }
      }
    }
    try output.emit(
      "index.html", inputs: digest(indexInputs),
      from: found.map(\.path).joined(separator: " ")
    ) {
      Array(
        SitePages.index(
          title: configuration.title, summaries: try found.map { try summaries.summary(of: $0) }
        )
        .utf8)
    }
    let removed = try output.finish()
    return SiteBuildReport(
      directory: directory, version: readVersion, series: found.count,
      files: output.manifest.files.count,
      bytes: output.manifest.files.values.reduce(0) { $0 + $1.size }, written: output.written,
      kept: output.kept, removed: removed)
  }

  /// Ascending numbers as runs: `1-3,7`.
  static func runs(_ numbers: [UInt64]) -> String {
    var parts: [String] = []
    var index = numbers.startIndex
    while index < numbers.endIndex {
      var end = index
      while end + 1 < numbers.endIndex, numbers[end + 1] == numbers[end] + 1 { end += 1 }
      parts.append(end == index ? "\(numbers[index])" : "\(numbers[index])-\(numbers[end])")
      index = end + 1
    }
    return parts.joined(separator: ",")
  }

  /// SHA-256 (hex) of `parts`, each followed by a NUL, then `bytes`.
  static func digest(_ parts: [String], _ bytes: [UInt8] = []) -> String {
    let hasher = SHA256Hasher()
    for part in [format] + parts {
      hasher.update(Array(part.utf8))
      hasher.update([0])
    }
    hasher.update(bytes)
    return Hex.encode(hasher.finalize())
  }
}

/// The summaries (newest bucket) of the series, read once each and only for the pages that are written.
struct SiteSummaries {
  let store: PondStore
  let fileSystem: FileSystem
  private var readers: [String: SiteRowReader] = [:]
  private var made: [String: SiteSummary] = [:]

  init(store: PondStore, fileSystem: FileSystem) {
    self.store = store
    self.fileSystem = fileSystem
  }

  /// The row reader of `series`, made on first use.
  mutating func reader(_ series: SiteSeries) -> SiteRowReader {
    if let reader = readers[series.path] { return reader }
    let reader = SiteRowReader(series: series, store: store, fileSystem: fileSystem)
    readers[series.path] = reader
    return reader
  }

  /// The summary of `series`, read on first use.
  mutating func summary(of series: SiteSeries) throws -> SiteSummary {
    if let summary = made[series.path] { return summary }
    var latest: SiteRow?
    if let finest = series.resolutions.firstIndex(where: { !$0.versions.isEmpty }),
      let newest = series.resolutions[finest].versions.compactMap(\.table.timeRange)
        .map(\.upperBound).max()
    {
      latest = try reader(series).rows(
        resolution: finest, from: newest.dividedRoundingDown(by: 1000), to: nil,
        descending: true, limit: 1
      ).first
    }
    let summary = SiteSummary(series: series, latest: latest)
    made[series.path] = summary
    return summary
  }
}

/// What `.pond-site.json` records: per file of the site, what it was made from, the digest of its inputs
/// and its bytes' SHA-256.
struct SiteManifest: Codable, Equatable {
  struct Entry: Codable, Equatable {
    /// For readers: the pond paths (and, for a data file, the table versions) or host file it came from.
    var from: String
    /// SHA-256 of everything the file depends on: the table versions' node, number and SHA-256, the
    /// station file's SHA-256, the title, the asset's bytes, `SiteBuilder.format`.
    var inputs: String
    var sha256: String
    var size: Int64
  }
  var format = 1
  var files: [String: Entry] = [:]
}

/// The output directory of a build: writes a file only when its inputs changed, then removes what is left.
struct SiteOutput {
  let directory: String
  private let previous: SiteManifest
  private(set) var manifest = SiteManifest()
  private(set) var written = 0
  private(set) var kept = 0
  private var directories = Set<String>()

  init(directory: String) throws {
    self.directory = directory
    let manifestPath = directory + "/" + SiteBuilder.manifestName
    do {
      if let names = try LocalFiles.names(inDirectory: directory) {
        if names.contains(SiteBuilder.manifestName) {
          let bytes = try LocalFiles.readFile(manifestPath)
          do {
            previous = try JSONDecoder().decode(SiteManifest.self, from: Data(bytes))
          } catch {
            throw SiteError(
              .output, path: manifestPath, "is not a site manifest (\(error))",
              hint: "build into an empty directory, or remove the directory to start over")
          }
        } else if names.isEmpty {
          previous = SiteManifest()
        } else {
          throw SiteError(
            .output, path: directory, "is not empty and holds no \(SiteBuilder.manifestName)",
            hint:
              "build into a new or empty directory (a site rebuild needs the manifest of the last build)"
          )
        }
      } else {
        try LocalFiles.makeDirectories(directory)
        previous = SiteManifest()
      }
    } catch let error as FileIOError {
      throw SiteError(
        .output, path: directory, "cannot be used as the site's directory: \(error)",
        hint: "choose a directory you can write")
    }
    directories.insert(directory)
  }

  /// Records `name` (a path relative to the directory) with `inputs`; writes `make()`'s bytes unless the
  /// previous build wrote it from the same inputs and the file is still there at its size.
  mutating func emit(
    _ name: String, inputs: String, from: String, make: () throws -> [UInt8]
  ) throws {
    precondition(manifest.files[name] == nil, "\(name) made twice")
    let path = directory + "/" + name
    if let old = previous.files[name], old.inputs == inputs, old.from == from,
      let status = try? LocalFiles.status(path), status.size == old.size
    {
      manifest.files[name] = old
      kept += 1
      return
    }
    let bytes = try make()
    let parent = LocalFiles.parentDirectory(of: path)
    do {
      if directories.insert(parent).inserted { try LocalFiles.makeDirectories(parent) }
      try LocalFiles.putReplacing(bytes, at: path)
    } catch {
      throw SiteError(
        .output, path: path, "cannot be written: \(error)",
        hint: "choose a site directory you can write, with space left")
    }
    manifest.files[name] = .init(
      from: from, inputs: inputs, sha256: SHA256Digest(hashing: bytes).description,
      size: Int64(bytes.count))
    written += 1
  }

  /// Removes the previous build's files that this one did not make (and directories they leave empty),
  /// then writes the manifest; returns how many files were removed.
  mutating func finish() throws -> Int {
    var removed = 0
    for name in previous.files.keys.sorted() where manifest.files[name] == nil {
      let path = directory + "/" + name
      do {
        try LocalFiles.remove(path)
        var parent = LocalFiles.parentDirectory(of: path)
        while parent != directory, (try LocalFiles.names(inDirectory: parent))?.isEmpty == true {
          try LocalFiles.removeDirectory(parent)
          parent = LocalFiles.parentDirectory(of: parent)
        }
      } catch {
        throw SiteError(
          .output, path: path, "cannot be removed: \(error)",
          hint: "the site's directory must be writable")
      }
      removed += 1
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      try LocalFiles.putReplacing(
        try encoder.encode(manifest) + [UInt8(ascii: "\n")],
        at: directory + "/" + SiteBuilder.manifestName)
    } catch {
      throw SiteError(
        .output, path: directory + "/" + SiteBuilder.manifestName, "cannot be written: \(error)",
        hint: "choose a site directory you can write, with space left")
    }
    return removed
  }
}
