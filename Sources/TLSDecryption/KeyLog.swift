import Foundation
import WireKit

/// The secrets of TLS sessions as browsers and TLS libraries log them when `SSLKEYLOGFILE` is
/// set (the NSS key log format): one `LABEL CLIENT_RANDOM SECRET` line per secret, both in hex.
/// `CLIENT_RANDOM` (a TLS 1.2 master secret) and the TLS 1.3 handshake and first application
/// traffic secrets are kept; other labels are ignored; `#` comments and blank lines are allowed.
public struct KeyLog: Sendable, Hashable {
    /// The secrets logged for one connection, found by its ClientHello random.
    public struct Secrets: Sendable, Hashable {
        /// TLS 1.2: the master secret (`CLIENT_RANDOM`).
        public var masterSecret: [UInt8]?
        /// TLS 1.3: `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
        public var clientHandshakeTrafficSecret: [UInt8]?
        /// TLS 1.3: `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
        public var serverHandshakeTrafficSecret: [UInt8]?
        /// TLS 1.3: `CLIENT_TRAFFIC_SECRET_0`.
        public var clientTrafficSecret: [UInt8]?
        /// TLS 1.3: `SERVER_TRAFFIC_SECRET_0`.
        public var serverTrafficSecret: [UInt8]?

        public init() {}
    }

    private var sessions: [[UInt8]: Secrets] = [:]
    /// Lines that could not be read, each as `line N: why`; the other lines are kept.
    public private(set) var problems: [String] = []

    public init() {}

    /// Reads a key log's text.
    public init(parsing text: String) {
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                try add(line)
            } catch {
                problems.append("line \(index + 1): \(error.description)")
            }
        }
    }

    /// Reads the key log file at `path`.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyLogError(description: "\(path): cannot read the key log")
        }
        self.init(parsing: String(decoding: data, as: UTF8.self))
    }

    /// The secrets logged for the connection whose ClientHello carried `clientRandom`.
    public subscript(clientRandom: [UInt8]) -> Secrets? {
        sessions[clientRandom]
    }

    /// The number of connections the log holds secrets for.
    public var count: Int { sessions.count }

    private mutating func add(_ line: String) throws(KeyLogError) {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 3 else {
            throw KeyLogError(description: "expected LABEL CLIENT_RANDOM SECRET, found \(fields.count) field\(fields.count == 1 ? "" : "s")")
        }
        let label = String(fields[0])
        guard let random = PastedBytes.hex(Array(fields[1].utf8)), random.count == 32 else {
            throw KeyLogError(description: "the client random is not 64 hexadecimal digits")
        }
        guard let secret = PastedBytes.hex(Array(fields[2].utf8)), !secret.isEmpty else {
            throw KeyLogError(description: "the secret of \(label) is not hexadecimal")
        }
        let path: WritableKeyPath<Secrets, [UInt8]?>
        switch label {
        case "CLIENT_RANDOM": path = \.masterSecret
        case "CLIENT_HANDSHAKE_TRAFFIC_SECRET": path = \.clientHandshakeTrafficSecret
        case "SERVER_HANDSHAKE_TRAFFIC_SECRET": path = \.serverHandshakeTrafficSecret
        case "CLIENT_TRAFFIC_SECRET_0": path = \.clientTrafficSecret
        case "SERVER_TRAFFIC_SECRET_0": path = \.serverTrafficSecret
        default: return
        }
        let lengths = label == "CLIENT_RANDOM" ? [48] : [32, 48]
        guard lengths.contains(secret.count) else {
            throw KeyLogError(description: "the secret of \(label) is \(secret.count) bytes, not \(lengths.map(String.init).joined(separator: " or "))")
        }
        sessions[random, default: Secrets()][keyPath: path] = secret
    }
}

/// Why a key log cannot be read.
public struct KeyLogError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

extension Array<UInt8> {
    /// The bytes as lowercase hex digits.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
