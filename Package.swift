// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

// Linux only (glibc): the code calls Glibc directly (open, flock, malloc_trim), links the
// system's libsqlite3 and libcurl (Debian's -dev packages, installed by scripts/setup.sh) and
// runs as a systemd service (sd_notify, $CREDENTIALS_DIRECTORY). No platform is declared
// because no other is supported.
let package = Package(
    name: "overdue",
    products: [
        .executable(name: "overdue", targets: ["overdue"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // System libraries, installed by scripts/setup.sh from Debian's -dev packages.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", providers: [.apt(["libpq-dev"])]),
        // Typed wrappers around libcurl's variadic curl_easy_setopt/getinfo.
        .target(name: "CCurlShim", dependencies: ["CCurl"], linkerSettings: [.linkedLibrary("curl")]),

        // Pure logic: money, dates, config, ledger model, planner, CSV, audit chain, messages.
        .target(
            name: "OverdueCore",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Edges.
        .target(name: "OverdueSQLite", dependencies: ["OverdueCore", "CSQLite"], swiftSettings: strict),
        .target(name: "OverduePostgres", dependencies: ["OverdueCore", "CLibPQ"], swiftSettings: strict),
        .target(name: "OverdueSMTP", dependencies: ["OverdueCore", "CCurlShim"], swiftSettings: strict),
        // Reads the inbox over IMAP (libcurl connects, logs in and verifies TLS; the read-only
        // session is spoken here). Shares the secret rules of the SMTP edge.
        .target(name: "OverdueIMAP", dependencies: ["OverdueCore", "OverdueSMTP", "CCurlShim"], swiftSettings: strict),
        // The tick, the outbox and the daemon loop, written against the core's protocols.
        .target(name: "OverdueRuntime", dependencies: ["OverdueCore"], swiftSettings: strict),
        // Thin wiring: argument parsing and the concrete edges.
        .executableTarget(
            name: "overdue",
            dependencies: [
                "OverdueCore", "OverdueSQLite", "OverduePostgres", "OverdueSMTP", "OverdueIMAP", "OverdueRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),

        // The ledger rules' in-memory primitives, shared by the Core rule tests and the runtime tests.
        .target(name: "OverdueTestSupport", dependencies: ["OverdueCore"], path: "Tests/OverdueTestSupport", swiftSettings: strict),
        .testTarget(name: "OverdueCoreTests", dependencies: ["OverdueCore", "OverdueTestSupport"], swiftSettings: strict),
        .testTarget(name: "OverdueSQLiteTests", dependencies: ["OverdueSQLite", "OverdueCore"], swiftSettings: strict),
        .testTarget(
            name: "OverduePostgresTests",
            dependencies: ["OverduePostgres", "OverdueSQLite", "OverdueCore"],
            swiftSettings: strict
        ),
        .testTarget(name: "OverdueSMTPTests", dependencies: ["OverdueSMTP", "OverdueCore"], swiftSettings: strict),
        .testTarget(
            name: "OverdueRuntimeTests",
            dependencies: ["OverdueRuntime", "OverdueSQLite", "OverdueSMTP", "OverdueCore", "OverdueTestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
