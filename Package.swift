// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "presence-bridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "presence-bridge", targets: ["presence-bridge"]),
        .executable(name: "presence-bench", targets: ["presence-bench"]),
        .library(name: "MQTT", targets: ["MQTT"]),
        .library(name: "PresenceCore", targets: ["PresenceCore"]),
        .library(name: "PresenceWire", targets: ["PresenceWire"]),
        .library(name: "PresenceClient", targets: ["PresenceClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        // FilePath for swift-subprocess on Linux (the same package and URL it depends on).
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"]), .brew(["mosquitto"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .target(
            name: "MQTT",
            dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "PresenceCore"),
        .target(name: "PresenceWire", dependencies: ["PresenceCore"]),
        .target(
            name: "PresenceBridge",
            dependencies: [
                "MQTT", "PresenceCore", "PresenceWire", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Running the bridge as a service: log line formats, the operators' HTTP endpoints
        // (/metrics, /livez, /readyz) and systemd's notify protocol.
        .target(
            name: "BridgeOperations",
            dependencies: [
                "PresenceBridge", "PresenceWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "PresenceClient",
            dependencies: ["MQTT", "PresenceCore", "PresenceWire", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "LocalBroker",
            dependencies: [
                "MQTT",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system", condition: .when(platforms: [.linux])),
            ]
        ),
        .target(
            name: "BridgeTestSupport",
            dependencies: ["PresenceBridge", "LocalBroker", "MQTT", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "EngineBenchmarks",
            dependencies: ["PresenceCore", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(
            name: "LoadBenchmarks",
            dependencies: [
                "MQTT", "LocalBroker", "PresenceCore", "PresenceWire",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The product that ships: the service and the command-line device and viewer; nothing
        // of the benchmarks or the tests (no LocalBroker, no HdrHistogram).
        .executableTarget(
            name: "presence-bridge",
            dependencies: [
                "PresenceBridge", "BridgeOperations", "PresenceClient", "PresenceWire", "MQTT", "PresenceCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The benchmarks; the bridge under test is the presence-bridge executable, as a child process.
        .executableTarget(
            name: "presence-bench",
            dependencies: [
                "LoadBenchmarks", "EngineBenchmarks", "MQTT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "LocalBroker"]),
        .testTarget(name: "PresenceCoreTests", dependencies: ["PresenceCore"]),
        .testTarget(name: "PresenceWireTests", dependencies: ["PresenceWire", "PresenceCore"]),
        .testTarget(name: "PresenceBenchTests", dependencies: ["LoadBenchmarks", "LocalBroker"]),
        .testTarget(name: "PresenceBridgeTests", dependencies: ["PresenceBridge", "BridgeTestSupport", "CSQLite", "LocalBroker", "MQTT", "PresenceCore"]),
        .testTarget(name: "BridgeOperationsTests", dependencies: ["BridgeOperations", "PresenceBridge", "BridgeTestSupport", "LocalBroker", "MQTT", .product(name: "Logging", package: "swift-log")]),
        // Three federated mosquittos and three shard processes: a process of its own in scripts/test.sh.
        .testTarget(name: "FederationTests", dependencies: ["BridgeTestSupport", "LocalBroker", "MQTT", "PresenceWire", "PresenceCore", "PresenceClient", .product(name: "Logging", package: "swift-log")]),
        // The fault suite: crashes, cuts, clock steps, full disks and hostile input under load
        // (short in scripts/test.sh, full in scripts/faults.sh).
        .testTarget(name: "FaultTests", dependencies: ["BridgeTestSupport", "LocalBroker", "MQTT", "PresenceBridge", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PresenceClientTests", dependencies: ["PresenceClient", "PresenceWire", "PresenceBridge", "BridgeTestSupport", "LocalBroker", "MQTT", "PresenceCore"]),
    ],
    swiftLanguageModes: [.v6]
)
