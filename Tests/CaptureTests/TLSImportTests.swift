import Capture
import Foundation
import Tape
import Testing
import TLSDecryption

/// A capture holding RFC 8448's TLS 1.3 connection carrying an HTTP/1.1 exchange (its
/// application data sealed with the RFC's traffic keys) as connection 1, and the same exchange
/// in clear text as connection 2.
struct TLSWireCapture {
    static let request = Array("GET /webcast/room_id?uniqueId=someone HTTP/1.1\r\nHost: sign.example\r\n\r\n".utf8)
    static let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"code\":0}\n".utf8)

    var wire = WireCapture(tape: [], deflate: false)
    /// The server's protected stream after its handshake flight: the response record.
    let responseRecord: [UInt8]

    /// `tamper`: changes the sealed response record; `dropResponse`: leaves its TCP segment out.
    init(tamper: (inout [UInt8]) -> Void = { _ in }, dropResponse: Bool = false) throws {
        let suite = TLSCipherSuite(id: 0x1301)!
        let clientKeys = TLSKeySchedule.trafficKeys(suite, secret: RFC8448.clientApplicationTrafficSecret)
        let serverKeys = TLSKeySchedule.trafficKeys(suite, secret: RFC8448.serverApplicationTrafficSecret)
        var responseRecord = try seal13(Self.response, type: 23, keys: serverKeys, sequence: 0)
        tamper(&responseRecord)
        self.responseRecord = responseRecord
        wire.send(conn: 1, fromClient: true, RFC8448.clientHelloRecord, time: 1000, size: 1400)
        wire.send(conn: 1, fromClient: false, RFC8448.serverHelloRecord + RFC8448.serverHandshakeRecord, time: 2000, size: 1400)
        wire.send(conn: 1, fromClient: true, RFC8448.clientFinishedRecord + (try seal13(Self.request, type: 23, keys: clientKeys, sequence: 0)),
                  time: 3000, size: 1400)
        if dropResponse {
            wire.send(conn: 1, fromClient: false, [], time: 4000, size: 1400)
            wire.sequences[1]!.server &+= UInt32(responseRecord.count)
        } else {
            wire.send(conn: 1, fromClient: false, responseRecord, time: 4000, size: 1400)
        }
        // The server's close_notify, after the response.
        wire.send(conn: 1, fromClient: false, try seal13([1, 0], type: 21, keys: serverKeys, sequence: 1), time: 5000, size: 1400)
        wire.send(conn: 2, fromClient: true, Self.request, time: 6000, size: 1400)
        wire.send(conn: 2, fromClient: false, Self.response, time: 7000, size: 1400)
    }
}

@Suite struct TLSImportTests {
    private func exchanges(_ records: [TapeRecord]) -> [HTTPExchange] {
        records.compactMap { if case .http(let e) = $0 { e } else { nil } }
    }

    @Test func aTLSConnectionWithKeysImportsLikeAClearOneWithAnHTTPSURL() throws {
        let (records, summary) = try importCapture(TLSWireCapture().wire.writer, keyLog: KeyLog(parsing: RFC8448.keyLog))
        #expect(summary.decryptedTLS == ["connection 1 from 10.0.0.1:50000: TLS 1.3, TLS_AES_128_GCM_SHA256 (0x1301)"])
        #expect(summary.undecryptedTLS == [] && summary.skippedTLS == [] && summary.gaps == 0 && summary.unparsed == [])
        let imported = exchanges(records)
        #expect(imported.map(\.request.url) == ["https://sign.example/webcast/room_id?uniqueId=someone", "http://sign.example/webcast/room_id?uniqueId=someone"])
        #expect(imported.map { $0.response?.body.bytes } == [Array("{\"code\":0}\n".utf8), Array("{\"code\":0}\n".utf8)])
    }

    @Test func withoutAKeyLogTheTLSConnectionIsSkipped() throws {
        let (records, summary) = try importCapture(TLSWireCapture().wire.writer)
        #expect(summary.skippedTLS == ["connection 1 from 10.0.0.1:50000"])
        #expect(summary.decryptedTLS == [] && summary.undecryptedTLS == [])
        #expect(exchanges(records).map(\.request.url) == ["http://sign.example/webcast/room_id?uniqueId=someone"])
    }

    @Test func aConnectionWhoseKeysAreNotLoggedIsNamedAndTheRestImported() throws {
        let otherSession = "CLIENT_RANDOM \(String(repeating: "11", count: 32)) \(String(repeating: "22", count: 48))"
        let (records, summary) = try importCapture(TLSWireCapture().wire.writer, keyLog: KeyLog(parsing: otherSession))
        #expect(summary.undecryptedTLS == ["connection 1 (TLS from 10.0.0.1:50000): no CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET, "
                                           + "CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 for client random \(hex(RFC8448.clientRandom)) in the key log"])
        #expect(summary.decryptedTLS == [])
        #expect(exchanges(records).map(\.request.url) == ["http://sign.example/webcast/room_id?uniqueId=someone"])
    }

    /// A record that fails authentication: named with its connection, direction, number and
    /// byte offset; its bytes become a gap; the close_notify after it still decrypts.
    @Test func aTamperedRecordIsNamedAndBecomesAGap() throws {
        let capture = try TLSWireCapture(tamper: { $0[30] ^= 0x01 })
        let (records, summary) = try importCapture(capture.wire.writer, keyLog: KeyLog(parsing: RFC8448.keyLog))
        let offset = RFC8448.serverHelloRecord.count + RFC8448.serverHandshakeRecord.count
        #expect(summary.undecryptedTLS == ["connection 1 (TLS from 10.0.0.1:50000): TLS record 3 from the server (byte offset \(offset) of its stream) "
                                           + "failed authentication: its \(capture.responseRecord.count - 5) bytes are lost"])
        let gaps = records.compactMap { if case .gap(let g) = $0 { g } else { nil } }
        #expect(gaps.map(\.conn) == [1] && gaps.map(\.direction) == [.recv])
        #expect(exchanges(records).map(\.request.url) == ["http://sign.example/webcast/room_id?uniqueId=someone"])
        #expect(summary.decryptedTLS.count == 1, "the connection goes on after the lost record")
    }

    @Test func aGapInTheTCPStreamEndsThatDirectionsDecryption() throws {
        let capture = try TLSWireCapture(dropResponse: true)
        let (records, summary) = try importCapture(capture.wire.writer, keyLog: KeyLog(parsing: RFC8448.keyLog))
        let offset = RFC8448.serverHelloRecord.count + RFC8448.serverHandshakeRecord.count
        #expect(summary.undecryptedTLS == ["connection 1 (TLS from 10.0.0.1:50000): a gap of \(capture.responseRecord.count) bytes in the server's TLS stream "
                                           + "at byte offset \(offset): the rest of that direction is not decrypted"])
        #expect(summary.gaps == 1)
        #expect(exchanges(records).map(\.request.url) == ["http://sign.example/webcast/room_id?uniqueId=someone"])
    }

    /// A live capture (`waitsForKeys`) of a TLS connection that closes before its client's key
    /// log has its keys: the connection waits, and is decrypted (request before response) as
    /// soon as the key log has them; one whose keys never come is named once `drain` passes it.
    @Test(arguments: [true, false])
    func aClosedConnectionWaitsForItsKeysInALiveCapture(keysCome: Bool) throws {
        var capture = try TLSWireCapture().wire
        let sequences = try #require(capture.sequences[1])
        capture.writer.segment(conn: 1, fromClient: true, sequence: sequences.client, flags: 0x11, payload: [], time: 5500)
        capture.writer.segment(conn: 1, fromClient: false, sequence: sequences.server, flags: 0x11, payload: [], time: 5600)
        let path = temporaryCapture()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try capture.writer.write(to: path)
        let file = try PcapFile(path: path)
        var importer = CaptureImporter(keyLog: KeyLog(), waitsForKeys: true)
        while let packet = try file.next() { importer.add(packet, linkType: file.linkType) }
        // Capture times count from the first packet (time 1000): connection 1 ends at 4600.
        #expect(exchanges(importer.drain(before: 4000)).map(\.request.url) == [], "nothing of connection 1 yet")
        if keysCome {
            importer.keyLog = KeyLog(parsing: RFC8448.keyLog)
            let imported = exchanges(importer.drain(before: 4000))
            #expect(imported.map(\.request.url) == ["https://sign.example/webcast/room_id?uniqueId=someone"])
            #expect(imported.map { $0.response?.body.bytes } == [Array("{\"code\":0}\n".utf8)])
            #expect(importer.summary.decryptedTLS.count == 1 && importer.summary.undecryptedTLS == [])
        } else {
            let drained = importer.drain(before: 10_000)
            #expect(importer.summary.undecryptedTLS.first?.hasPrefix("connection 1 (TLS from 10.0.0.1:50000): no CLIENT_HANDSHAKE_TRAFFIC_SECRET") == true,
                    "\(importer.summary.undecryptedTLS)")
            importer.keyLog = KeyLog(parsing: RFC8448.keyLog)
            #expect(exchanges(drained + importer.finish()).map(\.request.url) == ["http://sign.example/webcast/room_id?uniqueId=someone"],
                    "connection 1 was ended without its keys")
            #expect(importer.summary.decryptedTLS == [])
        }
    }

    /// A gap in a direction whose records wait for their keys is handed on after those records,
    /// which came before it, once the keys are there.
    @Test func aGapAfterRecordsWaitingForKeysIsHandedOnAfterThem() {
        var decryptor = TLSDecryptor(waitsForKeys: true)
        var outputs: [TLSDecryptor.Output] = []
        outputs += decryptor.receive(RFC8448.clientHelloRecord, fromClient: true, time: 1, keys: KeyLog())
        outputs += decryptor.receive(RFC8448.serverHelloRecord + RFC8448.serverHandshakeRecord, fromClient: false, time: 2, keys: KeyLog())
        outputs += decryptor.receive(RFC8448.clientFinishedRecord + RFC8448.clientApplicationDataRecord, fromClient: true, time: 3, keys: KeyLog())
        outputs += decryptor.receive(RFC8448.newSessionTicketRecord + RFC8448.serverApplicationDataRecord, fromClient: false, time: 4, keys: KeyLog())
        outputs += decryptor.receiveGap(length: 10, fromClient: false, time: 5, keys: KeyLog())
        #expect(decryptor.awaitsKeys)
        outputs += decryptor.resume(keys: KeyLog(parsing: RFC8448.keyLog))
        let server = outputs.filter {
            switch $0 {
            case .data(let fromClient, _, _), .lost(let fromClient, _, _): !fromClient
            case .problem: false
            }
        }
        #expect(server == [.data(fromClient: false, bytes: RFC8448.applicationData, time: 4), .lost(fromClient: false, length: 10, time: 5)])
    }
}
