// swift-tools-version:6.0
// DuckPond: a local-first, versioned filesystem for environmental time series.
import PackageDescription

/// Every import is internal unless marked `public import`: a type of another module in a public API is a
/// deliberate choice. Release code gets generic type metadata from accessors, not by demangling its name at
/// run time, which checks each generic requirement by scanning every protocol conformance record of the
/// binary (about 0.2 ms of user time in a `pond copy`, docs/benchmarks.md, start-up).
let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("InternalImportsByDefault"),
  .unsafeFlags(
    ["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"],
    .when(configuration: .release)),
]

/// `lib<name>`: the shared library in debug builds, its static archive in release ones, so that the release
/// `pond` does not load and relocate it at every start (docs/benchmarks.md, start-up). `needs`: libraries the
/// archive calls, named after it so that the linker, which reads an archive once, finds them (libsnappy is
/// C++: `stdc++`, which for `pond` is the archive too, through scripts/link/libstdc++.so).
func linking(_ name: String, needs: [String] = []) -> [LinkerSetting] {
  [
    .linkedLibrary(name, .when(configuration: .debug)),
    .unsafeFlags(
      ["-Xlinker", "-l:lib\(name).a"] + needs.flatMap { ["-Xlinker", "-l\($0)"] },
      .when(configuration: .release)),
  ]
}

let package = Package(
  name: "DuckPond",
  products: [
    .executable(name: "pond", targets: ["pond"]),
    // The long-running agent, a program of its own so that `pond` stays free of Foundation, NIO and Yams
    // (its start-up is measured); `pond agent ...` runs it from beside `pond`.
    .executable(name: "pond-agent", targets: ["PondAgent"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    // The agent only (`pond-agent`): the Swift server ecosystem.
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
  ],
  targets: [
    // C libraries, each behind a module map and a shim header of typed wrappers. Headers only: the Swift
    // targets over them link the library (`linking`), as a static archive in release builds, which
    // pkg-config and a module map's `link` (always `-lname`, the shared library) could not say.
    .systemLibrary(name: "CZstd"),
    .systemLibrary(name: "CCrypto"),
    // Headers only: libcurl is opened with dlopen on first use (PondCurl's CurlLibrary), so no `-lcurl`
    // (which pkg-config would add) may reach the link and make every process load it at start-up.
    .systemLibrary(name: "CCurl"),
    .systemLibrary(name: "CSQLite"),
    // Parquet's SNAPPY and GZIP page codecs (read only).
    .systemLibrary(name: "CSnappy"),
    .systemLibrary(name: "CZlib"),

    // The one owner of file descriptors, atomic publish and file errors, on swift-system.
    .target(
      name: "PondFiles", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),

    // Swift owners of the C handles.
    .target(
      name: "PondZstd", dependencies: ["CZstd", "PondFiles"], linkerSettings: linking("zstd")),
    .target(
      name: "PondCrypto", dependencies: ["CCrypto", "PondFiles"], linkerSettings: linking("crypto")),
    .target(name: "PondCurl", dependencies: ["CCurl", "PondFiles"]),
    .target(name: "PondSQLite", dependencies: ["CSQLite"], linkerSettings: linking("sqlite3")),

    // UTC instants in ms and µs, the clock, ISO 8601 text.
    .target(name: "PondTime"),

    // The layers of SYSTEM.md; lower layers never import higher ones.
    .target(name: "TinyFS", dependencies: ["PondTime"]),
    .target(
      name: "Parquet", dependencies: ["CSnappy", "CZlib", "PondZstd", "PondFiles"],
      linkerSettings: linking("snappy", needs: ["stdc++"]) + linking("z")),
    .target(name: "DeltaLog", dependencies: ["Parquet", "PondCrypto", "PondFiles", "PondTime"]),
    .target(
      name: "ObjectStore", dependencies: ["PondCrypto", "PondCurl", "PondFiles", "PondTime"]),
    .target(
      name: "TLogFS",
      dependencies: [
        "TinyFS", "DeltaLog", "Parquet", "PondZstd", "PondCrypto", "PondFiles", "PondSQLite",
        "PondTime",
      ]),

    // Tables and series of tables in the pond: CSV import, SQL over Parquet (SQLite virtual tables),
    // downsampling, export.
    .target(
      name: "Tables",
      dependencies: [
        "TLogFS", "TinyFS", "DeltaLog", "Parquet", "PondSQLite", "PondCrypto", "PondFiles",
        "PondTime",
      ]),

    // Push, pull, restore and verify between a pond and its remotes; the remotes file (YAML).
    .target(
      name: "Replication",
      dependencies: [
        "TLogFS", "DeltaLog", "ObjectStore", "PondFiles", "PondTime",
      ]),

    // The field pipeline (docs/pipeline.md): resources stored in the pond and their lifecycle, the HydroVu
    // collector (HTTP through PondCurl), and the static site of every reduced series.
    .target(
      name: "Pipeline",
      dependencies: [
        "Tables", "Replication", "TLogFS", "TinyFS", "DeltaLog", "Parquet", "ObjectStore",
        "PondCurl",
        "PondCrypto", "PondFiles", "PondSQLite", "PondTime",
      ]),

    // The agent: push on commit and on a schedule, follow remotes, /healthz and /metrics, as services.
    .target(
      name: "Agent",
      dependencies: [
        "Replication", "TLogFS", "DeltaLog", "ObjectStore", "PondFiles", "PondTime",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ]),
    .executableTarget(
      name: "PondAgent",
      dependencies: ["Agent", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

    // Shared test helpers (repository paths, the interop venv, subprocesses); never linked into pond.
    .target(
      name: "PondTestSupport", dependencies: ["ObjectStore", "PondCurl"],
      path: "Sources/PondTestSupport"),

    // Benchmarks run by `make bench`, each against a real peer on the same data.
    .executableTarget(name: "ParquetBench", dependencies: ["Parquet", "PondZstd", "PondCrypto"]),
    .executableTarget(name: "ObjectStoreBench", dependencies: ["ObjectStore", "PondCrypto"]),
    // A child process for the Delta log's crash, race and full-disk tests.
    .executableTarget(
      name: "DeltaLogProbe", dependencies: ["DeltaLog", "PondCrypto", "PondFiles", "PondTime"]),

    .executableTarget(
      name: "pond",
      dependencies: [
        "TinyFS", "TLogFS", "Tables", "Pipeline", "ObjectStore", "Replication",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      // Not position-independent in release: a PIE's 42,000 absolute pointers (Swift metadata, witness
      // tables) are relocated at every start, dirtying its data pages: ~1.8 ms of each process's start
      // (docs/benchmarks.md). The price: pond's own code is not at a random address (its libraries are).
      // libstdc++ (which the Swift runtime needs) is linked statically too: `scripts/link/libstdc++.so`.
      linkerSettings: [
        .unsafeFlags(
          ["-Xclang-linker", "-no-pie", "-L", Context.packageDirectory + "/scripts/link"],
          .when(platforms: [.linux], configuration: .release))
      ]),

    .testTarget(
      name: "PondFilesTests",
      dependencies: [
        "PondFiles", "PondTestSupport", .product(name: "SystemPackage", package: "swift-system"),
      ]),
    .testTarget(
      name: "PondZstdTests", dependencies: ["PondZstd", "PondCrypto", "PondTestSupport"]),
    .testTarget(name: "PondCryptoTests", dependencies: ["PondCrypto", "PondTestSupport"]),
    .testTarget(
      name: "PondCurlTests", dependencies: ["PondCurl", "PondFiles", "PondTestSupport"]),
    .testTarget(name: "PondSQLiteTests", dependencies: ["PondSQLite", "PondTestSupport"]),
    .testTarget(name: "PondTimeTests", dependencies: ["PondTime"]),
    .testTarget(name: "TinyFSTests", dependencies: ["TinyFS", "PondTestSupport"]),
    .testTarget(
      name: "ParquetTests", dependencies: ["Parquet", "PondFiles", "PondZstd", "PondTestSupport"]),
    .testTarget(
      name: "DeltaLogTests",
      dependencies: [
        "DeltaLog", "DeltaLogProbe", "Parquet", "PondCrypto", "PondFiles", "PondTestSupport",
        "PondTime",
      ]),
    .testTarget(
      name: "ObjectStoreTests",
      dependencies: ["ObjectStore", "PondCrypto", "PondFiles", "PondTestSupport"]),
    .testTarget(
      name: "TLogFSTests",
      dependencies: ["TLogFS", "TinyFS", "DeltaLog", "PondFiles", "PondSQLite", "PondTestSupport"]),
    .testTarget(
      name: "TablesTests",
      dependencies: [
        "Tables", "TLogFS", "TinyFS", "Parquet", "PondSQLite", "PondFiles", "PondTime",
        "PondTestSupport",
      ]),
    .testTarget(
      name: "PipelineTests",
      dependencies: [
        "Pipeline", "Tables", "Replication", "TLogFS", "TinyFS", "DeltaLog", "Parquet", "PondCurl",
        "PondFiles", "PondTime", "PondTestSupport",
      ]),
    .testTarget(
      name: "ReplicationTests",
      dependencies: [
        "Replication", "TLogFS", "TinyFS", "ObjectStore", "PondCurl", "PondFiles",
        "PondTestSupport",
      ]),
    .testTarget(
      name: "AgentTests",
      dependencies: [
        "Agent", "Replication", "ObjectStore", "TLogFS", "PondFiles", "PondTestSupport",
        .product(name: "SystemPackage", package: "swift-system"),
      ]),
    .testTarget(
      name: "PondCLITests",
      dependencies: [
        "pond", "PondAgent", "PondTestSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
  target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
