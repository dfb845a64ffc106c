import Capture
import Foundation
import FuzzTargets
import Tape
import Testing

/// Inputs the fuzzer found (kept in `Fixtures/fuzz/TARGET/finding-*`), each through the code
/// path that failed on it: what it gives now.
@Suite struct FindingTests {
    static func input(_ target: FuzzTarget, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: SeedCorpusTests.corpus.appendingPathComponent("\(target.rawValue)/\(name)")))
    }

    /// A response status of four digits made a tape record that the tape reader refuses.
    @Test func aStatusThatIsNotThreeDigitsLeavesTheConnectionUnparsed() throws {
        let input = try Self.input(.http, "finding-status-1001")
        let (records, summary) = ConnectionTarget.packets(input, webSocket: false).imported()
        #expect(summary.unparsed == [#"connection 1: not an HTTP/1.1 response: status "1001" is not three digits"#])
        #expect(records.isEmpty)
    }

    /// A chunk size of "-ED" was read as a negative number and made the chunked decoder trap.
    @Test func aChunkSizeThatIsNotHexDigitsLeavesTheConnectionUnparsed() throws {
        let input = try Self.input(.http, "finding-negative-chunk-size")
        let (records, summary) = ConnectionTarget.packets(input, webSocket: false).imported()
        #expect(summary.unparsed == [#"connection 1: invalid chunk size "-EDef""#])
        #expect(records.isEmpty)
    }

    /// A pcapng packet stamped after 2^63 µs made times and durations no tape reader reads.
    @Test func aPacketTimePastWhatATapeHoldsIsClamped() throws {
        let input = try Self.input(.pcap, "finding-pcapng-time-past-2-63")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("finding-\(UUID().uuidString).pcapng")
        try Data(input).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let (records, summary, _) = try CaptureImporter.importFile(path.path)
        #expect(summary.exchanges == 1)
        guard case .http(let exchange)? = records.first(where: { $0.kind == "http" }) else { Issue.record("no exchange"); return }
        #expect(exchange.timeMicros + (exchange.durationMicros ?? .max) <= TapeFormat.maxExactInteger)
        let tape = TapeEncoder.encode(TapeHeader(created: "2026-11-29T20:00:00Z", source: TapeSource(kind: "pcap")))
            + records.flatMap { TapeEncoder.encode($0) }
        let read = try TapeReader(bytes: tape).map(\.result)
        #expect(read == records.map { .success($0) })
    }

    /// A WebSocket message stamped `17e95982402` seconds (infinity) stopped the HAR import.
    @Test func aHARTimeOutOfRangeIsAProblemOfItsEntry() throws {
        let imported = try HARImporter.read(try Self.input(.har, "finding-message-time-infinite"))
        #expect(imported.problems.map(\.description) == [
            "entries[2]._webSocketMessages[2].time: inf is out of range for a time", "entries[3].startedDateTime: missing",
        ])
        #expect(imported.records.map(\.kind) == ["http", "http"])
    }

    /// A HAR status of 1101 made a tape record that the tape reader refuses.
    @Test func aHARStatusOutOfRangeIsAProblemOfItsEntry() throws {
        let imported = try HARImporter.read(try Self.input(.har, "finding-status-1101"))
        #expect(imported.problems.map(\.description) == [
            "entries[0].response: missing", "entries[2].response.status: 1101 is not an HTTP status (0 to 999)",
            "entries[3]._webSocketMessages[0].time: missing",
        ])
    }

    /// A TLS 1.2 connection that closed after its ServerHello with no record held for keys was
    /// ended at its FIN by a live capture, before the key log had its keys: undecrypted live,
    /// decrypted by an import.
    @Test func aClosedConnectionPastItsServerHelloWaitsForItsKeysLive() throws {
        let (keyLog, packets) = TLSTarget.parts(try Self.input(.tls, "finding-keys-after-the-handshake-closed"))
        let live = packets.importedLive(keyLog: keyLog).summary, atOnce = packets.imported(keyLog: keyLog).summary
        #expect(live.decryptedTLS == ["connection 1 from 10.0.0.1:50000: TLS 1.2, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA8)"])
        #expect(live.decryptedTLS == atOnce.decryptedTLS && live.undecryptedTLS == atOnce.undecryptedTLS)
    }

    /// A second ClientHello in plaintext after a TLS 1.3 ServerHello: read while waiting for the
    /// keys, its random replaced the first, whose keys the key log has; an import, which had the
    /// keys, took it for an encrypted record.
    @Test func aRecordAfterATLS13ServerHelloWaitsForTheKeysWhateverItsType() throws {
        let (keyLog, packets) = TLSTarget.parts(try Self.input(.tls, "finding-second-client-hello"))
        let live = packets.importedLive(keyLog: keyLog), atOnce = packets.imported(keyLog: keyLog)
        #expect(live.summary.decryptedTLS == ["connection 1 from 10.0.0.1:50000: TLS 1.3, TLS_CHACHA20_POLY1305_SHA256 (0x1303)"])
        #expect(live.summary.decryptedTLS == atOnce.summary.decryptedTLS && live.records == atOnce.records)
    }

    /// A gap in the server's stream while a live capture held the client's request for its keys
    /// was handed on first, which changed how the connection parsed: the request, not lost in an
    /// import, was kept live only.
    @Test func aGapIsHandedOnAfterTheOtherDirectionsEarlierRecords() throws {
        let (keyLog, packets) = TLSTarget.parts(try Self.input(.tls, "finding-gap-behind-held-records"))
        let live = packets.importedLive(keyLog: keyLog), atOnce = packets.imported(keyLog: keyLog)
        #expect(atOnce.summary.gaps == 1)
        #expect(live.records == atOnce.records)
    }
}
