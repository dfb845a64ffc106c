#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Constants of the tape format (see `docs/tape-format.md`).
public enum TapeFormat {
    /// Value of the header's `format` field.
    public static let name = "livetape-tape"
    /// The format version this library writes and the newest one it reads.
    public static let version = 1
    /// Conventional file extension, without the dot.
    public static let fileExtension = "tape"
    /// The record kinds defined by version 1, in documentation order.
    public static let recordKinds = ["http", "ws_open", "ws_message", "ws_close", "gap"]
    /// Default limit for one line (256 MiB); longer lines are reported, not loaded.
    public static let defaultMaxLineBytes = 256 << 20
    /// The largest integer every JSON reader holds exactly, 2^53 - 1: the bound for times and
    /// lengths written to a tape.
    public static let maxExactInteger: UInt64 = (1 << 53) - 1
}

/// Where a tape's records came from.
public struct TapeSource: Sendable, Hashable, Codable {
    /// How the tape was made: `synth`, `proxy`, `pcap`, `pcapng`, `har`, `manual`, … (open set).
    public var kind: String
    /// Free text for humans: tool and version, input file, command line. Optional.
    public var detail: String?

    public init(kind: String, detail: String? = nil) {
        self.kind = kind
        self.detail = detail
    }
}

/// The first line of every tape.
public struct TapeHeader: Sendable, Hashable {
    /// Always `"livetape-tape"`; a first line with another value is not a tape.
    public var format: String { TapeFormat.name }
    /// Format version of the file. Readers reject versions newer than `TapeFormat.version`.
    public var version: Int
    /// When the capture started, RFC 3339 UTC, e.g. `2026-11-29T12:00:00Z` (not validated).
    public var created: String
    /// What produced the tape.
    public var source: TapeSource
    /// Names of the secrets whose values were replaced by placeholders `<redacted:NAME:N>`:
    /// lower-case header names such as `x-api-key`, `query:<name>`, `cookie:<name>` or
    /// `json:<key>` (see `Redactor`). Information only.
    public var redacted: [String]

    public init(version: Int = TapeFormat.version, created: String, source: TapeSource, redacted: [String] = []) {
        self.version = version
        self.created = created
        self.source = source
        self.redacted = redacted
    }

    /// A header stamped with `created` formatted by `TapeHeader.timestamp(_:)`.
    public init(created: Date, source: TapeSource, redacted: [String] = []) {
        self.init(created: TapeHeader.timestamp(created), source: source, redacted: redacted)
    }

    /// Formats a date as RFC 3339 UTC with whole seconds: `2026-11-29T12:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        _ = gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }
}
