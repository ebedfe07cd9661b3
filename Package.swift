// swift-tools-version:6.0
// DuckPond: a local-first, versioned filesystem for environmental time series.
import PackageDescription

let package = Package(
  name: "DuckPond",
  products: [
    .executable(name: "pond", targets: ["pond"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // C libraries, each behind a module map and a shim header of typed wrappers.
    .systemLibrary(
      name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(
      name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
      name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

    // Swift owners of the C handles.
    .target(name: "PondZstd", dependencies: ["CZstd"]),
    .target(name: "PondCrypto", dependencies: ["CCrypto"]),
    .target(name: "PondCurl", dependencies: ["CCurl"]),

    // The layers of SYSTEM.md; lower layers never import higher ones.
    .target(name: "TinyFS"),
    .target(name: "Parquet", dependencies: ["PondZstd"]),
    .target(name: "DeltaLog", dependencies: ["Parquet", "PondCrypto"]),
    .target(name: "ObjectStore", dependencies: ["PondCrypto", "PondCurl"]),

    .executableTarget(
      name: "pond",
      dependencies: [
        "TinyFS", "Parquet", "DeltaLog", "ObjectStore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .testTarget(name: "PondZstdTests", dependencies: ["PondZstd"]),
    .testTarget(name: "PondCryptoTests", dependencies: ["PondCrypto"]),
    .testTarget(name: "PondCurlTests", dependencies: ["PondCurl"]),
    .testTarget(name: "TinyFSTests", dependencies: ["TinyFS"]),
    .testTarget(name: "ParquetTests", dependencies: ["Parquet", "PondZstd"]),
    .testTarget(name: "DeltaLogTests", dependencies: ["DeltaLog", "Parquet", "PondCrypto"]),
    .testTarget(name: "ObjectStoreTests", dependencies: ["ObjectStore", "PondCrypto"]),
    .testTarget(name: "PondCLITests", dependencies: ["pond"]),
  ],
  swiftLanguageModes: [.v6]
)
