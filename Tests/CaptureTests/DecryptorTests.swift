import Crypto
import Foundation
import Testing
import TLSDecryption

/// What a decryptor gave, by kind.
struct Decrypted {
    var client: [UInt8] = []
    var server: [UInt8] = []
    var lost: [(fromClient: Bool, length: Int)] = []
    var problems: [String] = []

    mutating func add(_ outputs: [TLSDecryptor.Output]) {
        for output in outputs {
            switch output {
            case .data(let fromClient, let bytes, _): if fromClient { client += bytes } else { server += bytes }
            case .lost(let fromClient, let length, _): lost.append((fromClient, length))
            case .problem(let text): problems.append(text)
            }
        }
    }
}

/// Feeds `flights` (direction, bytes) in order, each in chunks of `chunk` bytes.
func decrypt(_ flights: [(fromClient: Bool, bytes: [UInt8])], keys: KeyLog, chunk: Int = 7, waitsForKeys: Bool = false) -> (Decrypted, TLSDecryptor) {
    var decryptor = TLSDecryptor(waitsForKeys: waitsForKeys)
    var result = Decrypted()
    for (fromClient, bytes) in flights {
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            result.add(decryptor.receive(Array(bytes[start..<min(bytes.count, start + chunk)]), fromClient: fromClient, time: 0, keys: keys))
        }
    }
    result.add(decryptor.finish(keys: keys))
    return (result, decryptor)
}

@Suite struct DecryptorTests {
    /// RFC 8448's connection in the order it went over the wire.
    static let flights: [(fromClient: Bool, bytes: [UInt8])] = [
        (true, RFC8448.clientHelloRecord),
        (false, RFC8448.serverHelloRecord + RFC8448.serverHandshakeRecord),
        (true, RFC8448.clientFinishedRecord),
        (false, RFC8448.newSessionTicketRecord),
        (true, RFC8448.clientApplicationDataRecord),
        (false, RFC8448.serverApplicationDataRecord),
        (true, RFC8448.clientCloseNotifyRecord),
        (false, RFC8448.serverCloseNotifyRecord),
    ]

    @Test(arguments: [1, 7, 4096])
    func rfc8448sConnectionDecryptsBothWays(chunk: Int) {
        let (result, decryptor) = decrypt(Self.flights, keys: KeyLog(parsing: RFC8448.keyLog), chunk: chunk)
        #expect(result.problems == [])
        #expect(result.client == RFC8448.applicationData)
        #expect(result.server == RFC8448.applicationData)
        #expect(decryptor.negotiated == "TLS 1.3, TLS_AES_128_GCM_SHA256 (0x1301)")
        #expect(decryptor.isDecrypting)
    }

    /// A client stream processed before the server's (as when one direction's packets come
    /// first): its protected records wait for the ServerHello.
    @Test func theClientsRecordsWaitForTheServerHello() {
        let (result, _) = decrypt([(true, RFC8448.clientStream), (false, RFC8448.serverStream)], keys: KeyLog(parsing: RFC8448.keyLog))
        #expect(result.problems == [])
        #expect(result.client == RFC8448.applicationData)
        #expect(result.server == RFC8448.applicationData)
    }

    @Test func aConnectionWithoutKeysIsNamedWithItsClientRandom() {
        let (result, decryptor) = decrypt(Self.flights, keys: KeyLog())
        #expect(result.problems == ["no CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 "
                                    + "for client random \(hex(RFC8448.clientRandom)) in the key log"])
        #expect(result.client.isEmpty && result.server.isEmpty)
        #expect(!decryptor.isDecrypting)
    }

    /// A live capture: the browser writes its key log a moment after the handshake.
    @Test func keysThatArriveLaterDecryptWhatWaited() {
        var decryptor = TLSDecryptor(waitsForKeys: true)
        var result = Decrypted()
        for (fromClient, bytes) in Self.flights.dropLast(2) { result.add(decryptor.receive(bytes, fromClient: fromClient, time: 0, keys: KeyLog())) }
        #expect(result.client.isEmpty && result.problems.isEmpty)
        let keys = KeyLog(parsing: RFC8448.keyLog)
        for (fromClient, bytes) in Self.flights.suffix(2) { result.add(decryptor.receive(bytes, fromClient: fromClient, time: 0, keys: keys)) }
        result.add(decryptor.finish(keys: keys))
        #expect(result.problems == [])
        #expect(result.client == RFC8448.applicationData && result.server == RFC8448.applicationData)
    }

    @Test func keysThatNeverArriveAreReportedAtTheEnd() {
        let (result, _) = decrypt(Self.flights, keys: KeyLog(), waitsForKeys: true)
        #expect(result.problems.first?.hasPrefix("no CLIENT_HANDSHAKE_TRAFFIC_SECRET") == true)
    }

    /// A record that fails authentication is named (direction, record number, byte offset) and
    /// lost; the records after it still decrypt.
    @Test func aTamperedRecordIsNamedAndTheRestDecrypts() {
        var flights = Self.flights
        flights[4].bytes[20] ^= 0x40  // the client's application data, its third record
        let (result, _) = decrypt(flights, keys: KeyLog(parsing: RFC8448.keyLog))
        let offset = RFC8448.clientHelloRecord.count + RFC8448.clientFinishedRecord.count
        #expect(result.problems == ["TLS record 3 from the client (byte offset \(offset) of its stream) failed authentication: its 67 bytes are lost"])
        #expect(result.lost.count == 1 && result.lost[0].fromClient && result.lost[0].length == 67)
        #expect(result.client.isEmpty)
        #expect(result.server == RFC8448.applicationData)
    }

    /// Keys that do not fit fail the first protected record of each direction, which ends it.
    @Test func wrongKeysStopAtTheFirstProtectedRecord() {
        let wrong = RFC8448.keyLog.replacingOccurrences(of: hex(RFC8448.serverHandshakeTrafficSecret), with: hex(RFC8448.clientHandshakeTrafficSecret))
        let (result, _) = decrypt(Self.flights, keys: KeyLog(parsing: wrong))
        #expect(result.problems == ["TLS record 2 from the server (byte offset \(RFC8448.serverHelloRecord.count) of its stream) failed authentication: "
                                    + "the rest of that direction is not decrypted (are these the connection's keys?)"])
        #expect(result.client == RFC8448.applicationData)
        #expect(result.server.isEmpty)
    }

    @Test func anUnsupportedCipherSuiteIsNamed() {
        var flights = Self.flights
        // The ServerHello's cipher suite: record header 5, message header 4, version 2, random 32, session id 1.
        flights[1].bytes[5 + 4 + 2 + 32 + 1 + 1] = 0x04
        let (result, decryptor) = decrypt(flights, keys: KeyLog(parsing: RFC8448.keyLog))
        #expect(result.problems == ["TLS 1.3 with TLS_AES_128_CCM_SHA256 (0x1304) is not decrypted (AES-GCM and ChaCha20-Poly1305 suites are)"])
        #expect(result.client.isEmpty && result.server.isEmpty && !decryptor.isDecrypting)
    }

    @Test func aGapEndsItsDirectionThere() {
        var decryptor = TLSDecryptor()
        var result = Decrypted()
        let keys = KeyLog(parsing: RFC8448.keyLog)
        for (fromClient, bytes) in Self.flights.prefix(5) { result.add(decryptor.receive(bytes, fromClient: fromClient, time: 0, keys: keys)) }
        result.add(decryptor.receiveGap(length: 100, fromClient: false, time: 0, keys: keys))
        for (fromClient, bytes) in Self.flights.suffix(3) { result.add(decryptor.receive(bytes, fromClient: fromClient, time: 0, keys: keys)) }
        result.add(decryptor.finish(keys: keys))
        let offset = RFC8448.serverStream.count - RFC8448.serverApplicationDataRecord.count - RFC8448.serverCloseNotifyRecord.count
        #expect(result.problems == ["a gap of 100 bytes in the server's TLS stream at byte offset \(offset): the rest of that direction is not decrypted"])
        #expect(result.lost.count == 1 && !result.lost[0].fromClient)
        #expect(result.client == RFC8448.applicationData)
        #expect(result.server.isEmpty)
    }

    @Test func bytesThatAreNotTLSEndTheirDirection() {
        let (result, _) = decrypt([(true, RFC8448.clientHelloRecord + Array("GET / HTTP/1.1\r\n\r\n".utf8))], keys: KeyLog(parsing: RFC8448.keyLog), chunk: 4096)
        #expect(result.problems == ["no TLS record header at byte offset 201 (47 45 54 20 2f) from the client: the rest of that direction is not decrypted"])
    }

    /// After a KeyUpdate the client's records are read with the next application traffic
    /// secret (its value checked against OpenSSL in KeyScheduleTests).
    @Test func aKeyUpdateMovesToTheNextSecret() throws {
        let suite = TLSCipherSuite(id: 0x1301)!
        let current = TLSKeySchedule.trafficKeys(suite, secret: RFC8448.clientApplicationTrafficSecret)
        let next = TLSKeySchedule.trafficKeys(suite, secret: bytes("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207"))
        // The client's first application record is sequence 0; the KeyUpdate goes out as 1.
        let keyUpdate = try seal13([24, 0, 0, 1, 0], type: 22, keys: current, sequence: 1)
        let after = try seal13(Array("after the update".utf8), type: 23, keys: next, sequence: 0)
        var flights = Array(Self.flights.prefix(6))
        flights.append((true, keyUpdate + after))
        let (result, _) = decrypt(flights, keys: KeyLog(parsing: RFC8448.keyLog))
        #expect(result.problems == [])
        #expect(result.client == RFC8448.applicationData + Array("after the update".utf8))
    }
}

/// A TLS 1.3 AES-GCM record sealed independently of the decrypter (RFC 8446 section 5.2).
func seal13(_ content: [UInt8], type: UInt8, keys: TLSTrafficKeys, sequence: UInt64) throws -> [UInt8] {
    let inner = content + [type]
    let header: [UInt8] = [23, 3, 3, UInt8((inner.count + 16) >> 8), UInt8((inner.count + 16) & 0xFF)]
    let sequenceBytes = withUnsafeBytes(of: sequence.bigEndian, Array.init)
    let nonce = zip(keys.iv, [0, 0, 0, 0] + sequenceBytes).map { $0 ^ $1 }
    let box = try AES.GCM.seal(inner, using: SymmetricKey(data: keys.key), nonce: AES.GCM.Nonce(data: nonce), authenticating: header)
    return header + box.ciphertext + box.tag
}
