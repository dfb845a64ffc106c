// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "LiveTape",
    products: [
        .executable(name: "livetape", targets: ["livetape"]),
        .library(name: "WebcastDecoder", targets: ["WebcastDecoder"]),
        .library(name: "WebcastProto", targets: ["WebcastProto"]),
        .library(name: "Tape", targets: ["Tape"]),
        .library(name: "JSONKit", targets: ["JSONKit"]),
        .library(name: "Transcript", targets: ["Transcript"]),
        .library(name: "WireKit", targets: ["WireKit"]),
        .library(name: "FixtureSynth", targets: ["FixtureSynth"]),
        .library(name: "MockServers", targets: ["MockServers"]),
        .library(name: "TapeClient", targets: ["TapeClient"]),
        .library(name: "LiveTapeTesting", targets: ["LiveTapeTesting"]),
        .library(name: "RecordingProxy", targets: ["RecordingProxy"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "TLSDecryption", targets: ["TLSDecryption"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CLibdeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),
        .systemLibrary(name: "CLibFuzzer"),
        .target(
            name: "WebcastProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["README.md"]
        ),
        .target(name: "WireKit", dependencies: ["CZlib", "CLibdeflate"]),
        .target(name: "JSONKit"),
        .target(name: "Tape", dependencies: ["JSONKit"]),
        .target(name: "Transcript", dependencies: ["JSONKit"]),
        .target(name: "TLSDecryption", dependencies: ["WireKit", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Capture", dependencies: ["CPcap", "Tape", "JSONKit", "WireKit", "TLSDecryption"]),
        .target(
            name: "WebcastDecoder",
            dependencies: [
                "WebcastProto", "WireKit", "JSONKit", "Tape", "Transcript",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "FixtureSynth",
            dependencies: [
                "WebcastProto", "WireKit", "Tape",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "MockServers",
            dependencies: [
                "Tape", "JSONKit", "WebcastProto", "WireKit",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TapeClient",
            dependencies: [
                "MockServers", "Tape", "WebcastProto", "WireKit",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .target(name: "LiveTapeTesting", dependencies: ["MockServers", "Tape"]),
        .target(name: "Inspection", dependencies: ["WebcastDecoder", "Tape", "JSONKit", "Transcript"]),
        .target(
            name: "RecordingProxy",
            dependencies: [
                "MockServers", "TapeClient", "Tape", "WireKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "livetape",
            dependencies: [
                "WebcastDecoder", "FixtureSynth", "MockServers", "TapeClient", "RecordingProxy", "Capture", "TLSDecryption", "Inspection", "Tape", "JSONKit", "Transcript", "WireKit", "CPcap", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "ServeLoad",
            dependencies: [
                "TapeClient", "MockServers", "Tape", "JSONKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "livetape-load",
            dependencies: ["ServeLoad", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "livetape-bench",
            dependencies: ["WebcastDecoder", "Tape", "JSONKit", "WireKit"]
        ),
        .target(name: "FuzzTargets", dependencies: ["WebcastDecoder", "Capture", "TLSDecryption", "Tape", "JSONKit", "Transcript", "WireKit"]),
        .executableTarget(name: "livetape-fuzz", dependencies: ["FuzzTargets", "CLibFuzzer"]),
        .testTarget(name: "WireKitTests", dependencies: ["WireKit"]),
        .testTarget(name: "TapeTests", dependencies: ["Tape"]),
        .testTarget(name: "JSONKitTests", dependencies: ["JSONKit"]),
        .testTarget(name: "TranscriptTests", dependencies: ["Transcript", "JSONKit"]),
        .testTarget(
            name: "WebcastDecoderTests",
            dependencies: ["WebcastDecoder", "WebcastProto", "WireKit", "Tape", "JSONKit", "Transcript", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "FixtureSynthTests",
            dependencies: ["FixtureSynth", "WebcastProto", "Tape", "WireKit", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "MockServersTests",
            dependencies: ["MockServers", "Tape", "JSONKit", "WebcastProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "TapeClientTests",
            dependencies: ["TapeClient", "MockServers", "Tape", "JSONKit", "Transcript", "WebcastDecoder", "WireKit"]
        ),
        .testTarget(
            name: "RecordingProxyTests",
            dependencies: ["RecordingProxy", "TapeClient", "MockServers", "Tape", "JSONKit", "Transcript", "WebcastDecoder", "WebcastProto", "WireKit"]
        ),
        .testTarget(
            name: "CaptureTests",
            dependencies: ["Capture", "TLSDecryption", "Tape", "WireKit", "MockServers", "TapeClient", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "Capture", "Tape", "TLSDecryption"]),
        .testTarget(name: "LiveTapeTestingTests", dependencies: ["LiveTapeTesting", "TapeClient", "Tape"]),
        .testTarget(
            name: "InspectionTests",
            dependencies: ["Inspection", "Tape", "JSONKit", "WebcastProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "LiveTapeCLITests",
            dependencies: ["livetape", "ServeLoad", "Tape", "JSONKit", "MockServers", "WebcastProto", "WireKit", "WebcastDecoder", "Transcript", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
    ]
)
