/// Decrypts one TLS connection from its two reassembled byte streams with the secrets of a key
/// log. The ClientHello and ServerHello are read in the clear (client random, version, cipher
/// suite); then each direction follows its own keys: TLS 1.2 switches to the key block's keys at
/// that side's ChangeCipherSpec; TLS 1.3 uses the handshake traffic keys until that side's
/// Finished, then the application traffic keys, and the next ones after each KeyUpdate. What
/// comes out is each direction's application data, in order.
///
/// Nothing stops the import: a connection whose version, suite or keys are missing, a record
/// that fails authentication, a gap in the TCP stream become `problem`s (and `lost` bytes), and
/// the rest goes on.
public struct TLSDecryptor {
    /// What decryption yields, in order.
    public enum Output: Sendable, Hashable {
        /// Application data of one direction.
        case data(fromClient: Bool, bytes: [UInt8], time: UInt64)
        /// `length` bytes of one direction's protected stream could not be decrypted.
        case lost(fromClient: Bool, length: Int, time: UInt64)
        /// Why something was not decrypted, naming the direction, record and byte offset.
        case problem(String)
    }

    /// The version and suite the ServerHello chose, e.g. `TLS 1.3, TLS_AES_128_GCM_SHA256 (0x1301)`.
    public private(set) var negotiated: String?
    /// Whether the keys of the connection were found and nothing made it stop.
    public var isDecrypting: Bool { keysFound && !failed }
    /// Whether the connection waits for the key log to have its keys (`waitsForKeys`): records
    /// are held for them, or the ServerHello has chosen how the connection is encrypted.
    public var awaitsKeys: Bool { !failed && !keysFound && (suite != nil || sides.contains { $0.waitingBytes > 0 }) }

    private let waitsForKeys: Bool
    private let bufferLimit: Int
    /// The client's direction, then the server's.
    private var sides = [Direction(isClient: true), Direction(isClient: false)]
    private var clientRandom: [UInt8]?
    private var serverRandom: [UInt8]?
    private var suite: TLSCipherSuite?
    private var sawHelloRetryRequest = false
    private var keysFound = false
    private var failed = false
    private var outputs: [Output] = []
    /// The key log of the current call.
    private var keys = KeyLog()

    /// `waitsForKeys`: hold the records of a connection whose keys are not in the key log yet
    /// (a live capture, while the browser writes its key log), up to `bufferLimit` bytes per
    /// direction; otherwise missing keys are reported at once.
    public init(waitsForKeys: Bool = false, bufferLimit: Int = 4 << 20) {
        self.waitsForKeys = waitsForKeys
        self.bufferLimit = bufferLimit
    }

    /// Adds bytes of one direction captured at `time`.
    public mutating func receive(_ bytes: [UInt8], fromClient: Bool, time: UInt64, keys: KeyLog) -> [Output] {
        let side = fromClient ? 0 : 1
        if !failed, sides[side].acceptsInput {
            sides[side].received += bytes.count
            let (records, error) = sides[side].reader.feed(bytes, time: time)
            for record in records { sides[side].enqueue(record) }
            if let error {
                sides[side].acceptsInput = false
                outputs.append(.problem("\(error.description) from the \(sides[side].name): the rest of that direction is not decrypted"))
            }
        }
        return process(keys)
    }

    /// `length` bytes of one direction were never captured: TLS cannot be picked up after them,
    /// so that direction ends there (what came before is still decrypted).
    public mutating func receiveGap(length: Int, fromClient: Bool, time: UInt64, keys: KeyLog) -> [Output] {
        let side = fromClient ? 0 : 1
        // Handed on after the records still held, of either direction, that came before it.
        sides[side].losses.append((length, time))
        flushLosses()
        if !failed, sides[side].acceptsInput {
            sides[side].acceptsInput = false
            outputs.append(.problem("a gap of \(length) bytes in the \(sides[side].name)'s TLS stream at byte offset \(sides[side].received): "
                                    + "the rest of that direction is not decrypted"))
        }
        return process(keys)
    }

    /// Goes on with the records held for their keys, now that the key log is `keys`.
    public mutating func resume(keys: KeyLog) -> [Output] {
        process(keys)
    }

    /// The end of the capture: what still waits is reported.
    public mutating func finish(keys: KeyLog) -> [Output] {
        outputs = process(keys)
        if !failed {
            if suite != nil, !keysFound { fail(missingKeys()) }
            for side in sides where side.waitingBytes > 0 {
                let reason = suite == nil ? "the capture holds no ServerHello" : "they never became decryptable"
                outputs.append(.problem("\(side.waitingBytes) bytes from the \(side.name) not decrypted: \(reason)"))
            }
        }
        flushLosses(all: true)
        for side in sides where side.failures > Self.failuresNamed {
            outputs.append(.problem("\(side.failures) records from the \(side.name) failed authentication in all"))
        }
        defer { outputs = [] }
        return outputs
    }

    /// Failed records named one by one per direction; the rest are counted.
    private static let failuresNamed = 3

    private mutating func process(_ keys: KeyLog) -> [Output] {
        self.keys = keys
        if suite != nil, !keysFound, !failed { findKeys() }
        // The records of both directions in capture order, so that what is decrypted is handed on
        // as it was sent (a request before its response, when both waited for the keys); a record
        // that has to wait (a client's for the ServerHello, which says how to read it) lets the
        // other direction go first.
        while !failed {
            let sides = [0, 1].filter { !self.sides[$0].stopped && !self.sides[$0].waiting.isEmpty }
                .sorted { self.sides[$0].waiting[0].time < self.sides[$1].waiting[0].time }
            guard let side = sides.first(where: { handle(self.sides[$0].waiting[0], side: $0) }) else { break }
            self.sides[side].dequeue()
            flushLosses()
        }
        for side in 0..<2 where failed || sides[side].stopped { sides[side].clearWaiting() }
        flushLosses()
        for side in 0..<2 where !failed && sides[side].waitingBytes > bufferLimit {
            fail(suite == nil ? "\(sides[side].waitingBytes) bytes from the \(sides[side].name) and no ServerHello" : missingKeys())
        }
        defer { outputs = [] }
        return outputs
    }

    /// Hands on the gaps that came before every record still held (all of them at the end), in
    /// capture order with what was decrypted.
    private mutating func flushLosses(all: Bool = false) {
        guard !sides[0].losses.isEmpty || !sides[1].losses.isEmpty else { return }
        let earliestHeld = all ? nil : sides.compactMap { $0.waiting.first?.time }.min()
        var ready: [(fromClient: Bool, length: Int, time: UInt64)] = []
        for side in 0..<2 {
            while let loss = sides[side].losses.first, earliestHeld.map({ loss.time < $0 }) ?? true {
                ready.append((side == 0, loss.length, loss.time))
                sides[side].losses.removeFirst()
            }
        }
        outputs += ready.sorted { $0.time < $1.time }.map { .lost(fromClient: $0.fromClient, length: $0.length, time: $0.time) }
    }

    /// Handles one record of `side`; false when it has to wait (for the ServerHello or keys).
    private mutating func handle(_ record: TLSRecord, side: Int) -> Bool {
        // Client records after its hello wait for the server's answer, which says how to read them.
        if side == 0, clientRandom != nil, serverRandom == nil, !sawHelloRetryRequest { return false }
        if record.contentType == TLSRecord.ContentType.changeCipherSpec {
            guard let suite, !suite.isTLS13 else { return true }  // TLS 1.3 sends it for middleboxes only
            guard keysFound else { return false }
            if let keys = sides[side].pendingKeys {
                sides[side].decrypter = TLSRecordDecrypter(suite, keys: keys)
                sides[side].pendingKeys = nil
            }
            return true
        }
        if sides[side].decrypter != nil { return decrypt(record, side: side) }
        // TLS 1.3 encrypts every record after the ServerHello: without the keys yet, it waits.
        if suite?.isTLS13 == true || record.contentType == TLSRecord.ContentType.applicationData { return false }
        if record.contentType == TLSRecord.ContentType.handshake {
            for message in sides[side].handshake.feed(record.fragment) { readHello(message, side: side) }
        }
        return true
    }

    private mutating func readHello(_ message: TLSHandshakeReader.Message, side: Int) {
        switch (side, message.type) {
        case (0, TLSHandshakeReader.MessageType.clientHello) where clientRandom == nil:  // a second one (after a HelloRetryRequest) has the same random
            guard let hello = ClientHello(message.body) else { return fail("a ClientHello too short to read") }
            clientRandom = hello.random
        case (1, TLSHandshakeReader.MessageType.serverHello) where serverRandom == nil:
            guard let hello = ServerHello(message.body) else { return fail("a ServerHello too short to read") }
            if hello.isHelloRetryRequest {
                sawHelloRetryRequest = true
            } else {
                negotiate(hello)
            }
        default:
            break
        }
    }

    private mutating func negotiate(_ hello: ServerHello) {
        serverRandom = hello.random
        let version = switch hello.version {
        case 0x0304: "TLS 1.3"
        case 0x0303: "TLS 1.2"
        case 0x0302: "TLS 1.1"
        case 0x0301: "TLS 1.0"
        default: "version 0x" + String(hello.version, radix: 16)
        }
        guard hello.version == 0x0303 || hello.version == 0x0304 else { return fail("\(version) is not decrypted (TLS 1.2 and 1.3 are)") }
        guard let suite = TLSCipherSuite(id: hello.cipherSuite), suite.isTLS13 == (hello.version == 0x0304) else {
            return fail("\(version) with \(TLSCipherSuite.name(of: hello.cipherSuite)) is not decrypted "
                        + "(AES-GCM and ChaCha20-Poly1305 suites are)")
        }
        negotiated = "\(version), \(suite.name)"
        self.suite = suite
        guard clientRandom != nil else { return fail("the capture lacks the ClientHello, whose random finds the keys") }
        findKeys()
    }

    /// Sets up both directions' keys from the key log, if it has them.
    private mutating func findKeys() {
        guard let suite, let clientRandom, let serverRandom, let secrets = keys[clientRandom] else { return missing() }
        if suite.isTLS13 {
            guard let clientHandshake = secrets.clientHandshakeTrafficSecret, let serverHandshake = secrets.serverHandshakeTrafficSecret,
                  let clientTraffic = secrets.clientTrafficSecret, let serverTraffic = secrets.serverTrafficSecret else { return missing() }
            for (side, handshake, traffic) in [(0, clientHandshake, clientTraffic), (1, serverHandshake, serverTraffic)] {
                sides[side].decrypter = TLSRecordDecrypter(suite, keys: TLSKeySchedule.trafficKeys(suite, secret: handshake))
                sides[side].applicationSecret = traffic
                sides[side].usesHandshakeKeys = true
            }
        } else {
            guard let master = secrets.masterSecret else { return missing() }
            let block = TLSKeySchedule.keyBlock(suite, masterSecret: master, clientRandom: clientRandom, serverRandom: serverRandom)
            sides[0].pendingKeys = block.client
            sides[1].pendingKeys = block.server
        }
        keysFound = true
    }

    private mutating func missing() {
        if !waitsForKeys { fail(missingKeys()) }
    }

    private func missingKeys() -> String {
        let random = clientRandom?.hex ?? "?"
        guard let suite else { return "no keys" }
        if !suite.isTLS13 { return "no CLIENT_RANDOM line for client random \(random) in the key log" }
        let secrets = clientRandom.flatMap { keys[$0] } ?? KeyLog.Secrets()
        let absent = [("CLIENT_HANDSHAKE_TRAFFIC_SECRET", secrets.clientHandshakeTrafficSecret), ("SERVER_HANDSHAKE_TRAFFIC_SECRET", secrets.serverHandshakeTrafficSecret),
                      ("CLIENT_TRAFFIC_SECRET_0", secrets.clientTrafficSecret), ("SERVER_TRAFFIC_SECRET_0", secrets.serverTrafficSecret)]
            .filter { $0.1 == nil }.map(\.0)
        return "no \(absent.joined(separator: ", ")) for client random \(random) in the key log"
    }

    private mutating func decrypt(_ record: TLSRecord, side: Int) -> Bool {
        guard let suite else { return false }
        let opened: (contentType: UInt8, plaintext: [UInt8])
        do {
            opened = try sides[side].decrypter!.open(record)
        } catch {
            let place = "TLS record \(record.number) from the \(sides[side].name) (byte offset \(record.offset) of its stream) \(error.description)"
            if sides[side].usesHandshakeKeys || sides[side].decryptedRecords == 0 {
                // The first protected records: the keys do not fit, nothing after can be read.
                stop(side, "\(place): the rest of that direction is not decrypted (are these the connection's keys?)")
            } else {
                sides[side].failures += 1
                if sides[side].failures <= Self.failuresNamed { outputs.append(.problem("\(place): its \(record.fragment.count) bytes are lost")) }
                outputs.append(.lost(fromClient: side == 0, length: record.fragment.count, time: record.time))
            }
            return true
        }
        sides[side].decryptedRecords += 1
        switch opened.contentType {
        case TLSRecord.ContentType.applicationData where !opened.plaintext.isEmpty:
            outputs.append(.data(fromClient: side == 0, bytes: opened.plaintext, time: record.time))
        case TLSRecord.ContentType.handshake where suite.isTLS13:
            for message in sides[side].handshake.feed(opened.plaintext) {
                if message.type == TLSHandshakeReader.MessageType.finished, sides[side].usesHandshakeKeys {
                    sides[side].usesHandshakeKeys = false
                } else if message.type == TLSHandshakeReader.MessageType.keyUpdate, !sides[side].usesHandshakeKeys, let secret = sides[side].applicationSecret {
                    sides[side].applicationSecret = TLSKeySchedule.nextTrafficSecret(suite.hash, secret: secret)
                } else {
                    continue
                }
                // New keys from the next record on.
                sides[side].decrypter = TLSRecordDecrypter(suite, keys: TLSKeySchedule.trafficKeys(suite, secret: sides[side].applicationSecret!))
            }
        default:
            break  // alerts, TLS 1.2's Finished
        }
        return true
    }

    /// One direction cannot be decrypted on: said once, its input dropped from here.
    private mutating func stop(_ side: Int, _ message: String) {
        sides[side].acceptsInput = false
        sides[side].stopped = true
        outputs.append(.problem(message))
    }

    /// Nothing more of the connection can be decrypted.
    private mutating func fail(_ message: String) {
        failed = true
        outputs.append(.problem(message))
    }
}

/// One direction of a TLS connection: its records, the keys in force, what failed.
private struct Direction {
    let isClient: Bool
    var reader = TLSRecordReader()
    var handshake = TLSHandshakeReader()
    /// Records read but not handled yet, waiting for the ServerHello or keys.
    private(set) var waiting: [TLSRecord] = []
    private(set) var waitingBytes = 0
    /// Gaps of this direction not handed on yet: records held came before them.
    var losses: [(length: Int, time: UInt64)] = []
    /// Bytes received: the stream offset of the next byte.
    var received = 0
    var acceptsInput = true
    /// Nothing more of this direction is decrypted.
    var stopped = false
    var decrypter: TLSRecordDecrypter?
    /// TLS 1.2: the keys that take effect with this side's ChangeCipherSpec.
    var pendingKeys: TLSTrafficKeys?
    /// TLS 1.3: the application traffic secret (in force once `usesHandshakeKeys` is false).
    var applicationSecret: [UInt8]?
    /// TLS 1.3: the handshake traffic keys are in force, until this side's Finished.
    var usesHandshakeKeys = false
    var decryptedRecords = 0
    var failures = 0

    var name: String { isClient ? "client" : "server" }

    init(isClient: Bool) {
        self.isClient = isClient
    }

    mutating func enqueue(_ record: TLSRecord) {
        waiting.append(record)
        waitingBytes += 5 + record.fragment.count
    }

    mutating func dequeue() {
        waitingBytes -= 5 + waiting.removeFirst().fragment.count
    }

    mutating func clearWaiting() {
        waiting = []
        waitingBytes = 0
    }
}
