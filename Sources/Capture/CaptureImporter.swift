import Foundation
import Tape
import TLSDecryption
import WireKit

/// Turns captured packets into tape records: TCP connections reassembled, HTTP/1.1 exchanges
/// and WebSocket sessions (handshake, messages both ways, close) parsed out of them, gaps where
/// the capture missed bytes. TLS connections are decrypted with the secrets of a key log when one
/// is given (their URLs are https:// and wss://), else counted and skipped.
public struct CaptureImporter {
    /// What an import found.
    public struct Summary: Sendable, Hashable {
        public var packets = 0
        public var connections = 0
        public var exchanges = 0
        public var webSocketSessions = 0
        public var messages = 0
        public var gaps = 0
        /// `client → server` of each TLS connection skipped (no key log).
        public var skippedTLS: [String] = []
        /// TLS connections decrypted with the key log, each with its version and cipher suite.
        public var decryptedTLS: [String] = []
        /// What could not be decrypted with the key log: connections without keys, unsupported
        /// versions or suites, records that failed authentication, streams cut by a gap.
        public var undecryptedTLS: [String] = []
        /// What could not be imported as it was, with why: connections whose bytes could not be
        /// parsed, bodies (stored as sent) and messages (left out) that did not inflate, messages
        /// and frames the capture ends inside.
        public var unparsed: [String] = []
        /// Connections picked up at a message or frame boundary after missing bytes or a
        /// capture that began mid-connection, with the bytes skipped to get there.
        public var resynchronized: [String] = []
    }

    public private(set) var summary = Summary()
    private let bufferLimit: Int
    /// The secrets TLS connections are decrypted with; nil skips them. May be replaced while
    /// capturing, as a browser adds to its key log: the connections waiting for their keys go on.
    public var keyLog: KeyLog? {
        didSet { settleConnectionsAwaitingKeys(endedBefore: nil) }
    }
    private let waitsForKeys: Bool
    private var connections: [ConnectionKey: Connection] = [:]
    /// Connections that ended (FIN both ways, or RST), with when: their late segments are
    /// dropped, for two minutes of capture time, unless a new SYN opens the connection again.
    private var ended: [ConnectionKey: UInt64] = [:]
    private var records: [TapeRecord] = []
    private var start: UInt64?

    /// `bufferLimit`: out-of-order bytes held per direction before a gap is declared (and TLS
    /// records held waiting for their keys). `keyLog`: decrypt TLS connections with its secrets;
    /// `waitsForKeys`: a connection whose keys are not in it yet waits for them (a live capture).
    public init(bufferLimit: Int = 4 << 20, keyLog: KeyLog? = nil, waitsForKeys: Bool = false) {
        self.bufferLimit = bufferLimit
        self.keyLog = keyLog
        self.waitsForKeys = waitsForKeys
    }

    /// Adds one packet.
    public mutating func add(_ packet: CapturedPacket, linkType: Int32) {
        summary.packets += 1
        guard let segment = TCPSegment(packet: packet, linkType: linkType) else { return }
        if start == nil { start = packet.timeMicros }
        let time = packet.timeMicros - min(packet.timeMicros, start ?? 0)
        let key = ConnectionKey(segment.source, segment.destination)
        if ended[key] != nil {
            guard segment.opensConnection else { return }
            ended[key] = nil
        }
        if connections.index(forKey: key) == nil {
            // The SYN's sender is the client; mid-connection, the side with the higher port.
            let client = segment.opensConnection ? segment.source
                : segment.source.port > segment.destination.port ? segment.source : segment.destination
            summary.connections += 1
            connections[key] = Connection(conn: summary.connections, client: client, server: client == segment.source ? segment.destination : segment.source,
                                          fromStart: segment.isSYN, bufferLimit: bufferLimit, waitsForKeys: waitsForKeys)
        }
        let index = connections.index(forKey: key)!
        connections.values[index].add(segment, time: time, keyLog: keyLog, into: &records, summary: &summary)
        // Finished now, so that memory holds only the connections still open; one whose TLS
        // records wait for keys the key log may yet get waits for them or for `drain`.
        if connections.values[index].isOver && !connections.values[index].awaitsKeys {
            end(key, at: time)
        }
    }

    /// Finishes the connection `key` and drops its late segments for two minutes of capture time.
    private mutating func end(_ key: ConnectionKey, at time: UInt64) {
        connections[key]!.finish(keyLog: keyLog, into: &records, summary: &summary)
        connections[key] = nil
        ended = ended.filter { $0.value + 120_000_000 > time }
        ended[key] = time
    }

    /// Gives the connections whose TLS records wait for keys the current key log, and ends those
    /// that are over once they have their keys, or once their last packet is older than
    /// `horizon` (then what still waits is reported).
    private mutating func settleConnectionsAwaitingKeys(endedBefore horizon: UInt64?) {
        guard waitsForKeys, let keyLog else { return }
        let awaiting = connections.keys.filter { connections[$0]!.awaitsKeys }
        for key in awaiting.sorted(by: { connections[$0]!.conn < connections[$1]!.conn }) {
            connections[key]!.resume(keyLog: keyLog, into: &records, summary: &summary)
            let connection = connections[key]!
            if connection.isOver && (!connection.awaitsKeys || horizon.map { connection.lastTime < $0 } == true) {
                end(key, at: connection.lastTime)
            }
        }
    }

    /// The records completed so far that are older than `horizon` (microseconds since the
    /// capture's first packet), in time order; later ones wait, since a connection still open
    /// may yet complete an earlier record. For writing a tape while capturing; a connection
    /// over but still waiting for its TLS keys is ended once it is older than `horizon`.
    public mutating func drain(before horizon: UInt64) -> [TapeRecord] {
        settleConnectionsAwaitingKeys(endedBefore: horizon)
        let (ready, waiting) = records.partitioned { $0.timeMicros < horizon }
        records = waiting
        return ready.timeOrdered()
    }

    /// Microseconds since the capture's first packet, for `drain(before:)`.
    public func elapsed(at timeMicros: UInt64) -> UInt64 {
        timeMicros - min(timeMicros, start ?? timeMicros)
    }

    /// Ends every connection and returns all records in time order.
    public mutating func finish() -> [TapeRecord] {
        for key in connections.keys.sorted(by: { connections[$0]!.conn < connections[$1]!.conn }) {
            connections[key]!.finish(keyLog: keyLog, into: &records, summary: &summary)
        }
        connections = [:]
        return records.timeOrdered()
    }
}

/// The two endpoints of a connection, in the same order whichever way a packet goes.
private struct ConnectionKey: Hashable {
    let lower: TCPSegment.Endpoint
    let higher: TCPSegment.Endpoint

    init(_ a: TCPSegment.Endpoint, _ b: TCPSegment.Endpoint) {
        (lower, higher) = a.port < b.port || (a.port == b.port && a.address.lexicographicallyPrecedes(b.address)) ? (a, b) : (b, a)
    }
}

/// One TCP connection being parsed.
private struct Connection {
    let conn: Int
    let client: TCPSegment.Endpoint
    let server: TCPSegment.Endpoint
    /// Whether the capture saw the connection open (its SYN): parsing starts on a boundary.
    let fromStart: Bool
    let waitsForKeys: Bool
    var streams: [TCPStream]
    /// The TLS layer of a connection decrypted with the key log: its plaintext is parsed.
    var tls: TLSDecryptor?
    var lastTime: UInt64 = 0
    enum Parsing {
        case unknown
        case tls
        case http(requests: HTTPMessageParser, responses: HTTPMessageParser, waiting: [HTTPMessage])
        case webSocket(client: WebSocketFrameParser, server: WebSocketFrameParser)
        case failed
    }
    var state = Parsing.unknown
    var closed = false
    /// Both directions ended with a FIN, every byte before it received, or either with a RST.
    var isOver: Bool { streams.allSatisfy(\.isFinished) || streams.contains(where: \.wasReset) }
    /// Whether TLS records are held until the key log has this connection's keys.
    var awaitsKeys: Bool { tls?.awaitsKeys ?? false }

    init(conn: Int, client: TCPSegment.Endpoint, server: TCPSegment.Endpoint, fromStart: Bool, bufferLimit: Int, waitsForKeys: Bool) {
        self.conn = conn
        self.client = client
        self.server = server
        self.fromStart = fromStart
        self.waitsForKeys = waitsForKeys
        streams = [TCPStream(bufferLimit: bufferLimit), TCPStream(bufferLimit: bufferLimit)]
    }

    /// `http://` and `ws://`, or `https://` and `wss://` inside TLS.
    private var httpScheme: String { tls == nil ? "http://" : "https://" }
    private var webSocketScheme: String { tls == nil ? "ws://" : "wss://" }

    mutating func add(_ segment: TCPSegment, time: UInt64, keyLog: KeyLog?, into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        lastTime = time
        let fromClient = segment.source == client
        let events = streams[fromClient ? 0 : 1].add(segment)
        for event in events {
            handle(event, fromClient: fromClient, time: time, keyLog: keyLog, into: &records, summary: &summary)
        }
    }

    mutating func finish(keyLog: KeyLog?, into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        for (index, fromClient) in [(0, true), (1, false)] {
            for event in streams[index].finish() { handle(event, fromClient: fromClient, time: lastTime, keyLog: keyLog, into: &records, summary: &summary) }
        }
        if var decryptor = tls, let keyLog {
            deliver(decryptor.finish(keys: keyLog), into: &records, summary: &summary)
            if decryptor.isDecrypting, let negotiated = decryptor.negotiated { summary.decryptedTLS.append("connection \(conn) from \(client): \(negotiated)") }
        }
        switch state {
        case .http(let requests, var responses, var waiting):
            if let response = responses.finish(), !waiting.isEmpty {
                record(waiting.removeFirst(), response, into: &records, summary: &summary)
            }
            for request in waiting { record(request, nil, into: &records, summary: &summary) }
            noteUnfinished([requests.unfinished(), responses.unfinished()], summary: &summary)
            noteSkipped(requests.skipped + responses.skipped, summary: &summary)
        case .webSocket(let clientFrames, let serverFrames):
            noteUnfinished([clientFrames.unfinished(), serverFrames.unfinished()], summary: &summary)
            noteSkipped(clientFrames.skipped + serverFrames.skipped, summary: &summary)
            if !closed { records.append(.wsClose(WebSocketClose(timeMicros: lastTime, conn: conn, by: .abnormal))) }
        default:
            break
        }
    }

    /// What each direction left unfinished when the capture ended.
    private func noteUnfinished(_ parts: [String?], summary: inout CaptureImporter.Summary) {
        for part in parts.compactMap({ $0 }) { summary.unparsed.append("connection \(conn): the capture ends inside \(part)") }
    }

    private func noteSkipped(_ bytes: Int, summary: inout CaptureImporter.Summary) {
        if bytes > 0 { summary.resynchronized.append("connection \(conn): \(bytes) bytes skipped to reach a message or frame boundary") }
    }

    /// A TLS connection (its client starts with a handshake record) goes through the decryptor
    /// when there is a key log, and is skipped when there is none; other bytes are parsed as they are.
    private mutating func handle(_ event: TCPStream.Event, fromClient: Bool, time: UInt64, keyLog: KeyLog?,
                                 into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        if case .unknown = state, tls == nil, fromClient, case .data(let bytes) = event, bytes.first == 0x16, bytes.count > 1, bytes[1] == 0x03 {
            guard keyLog != nil else {
                state = .tls
                summary.skippedTLS.append("connection \(conn) from \(client)")
                return
            }
            tls = TLSDecryptor(waitsForKeys: waitsForKeys, bufferLimit: streams[0].bufferLimit)
        }
        guard tls != nil, let keyLog else { return parse(event, fromClient: fromClient, time: time, into: &records, summary: &summary) }
        let outputs = switch event {  // in place: the decryptor's buffers are not copied
        case .data(let bytes): tls!.receive(bytes, fromClient: fromClient, time: time, keys: keyLog)
        case .gap(let length): tls!.receiveGap(length: length, fromClient: fromClient, time: time, keys: keyLog)
        }
        deliver(outputs, into: &records, summary: &summary)
    }

    /// Goes on with the TLS records held for their keys, now that the key log is `keyLog`.
    mutating func resume(keyLog: KeyLog, into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        guard tls != nil else { return }
        let outputs = tls!.resume(keys: keyLog)
        deliver(outputs, into: &records, summary: &summary)
    }

    /// Parses what the TLS layer decrypted; notes what it could not.
    private mutating func deliver(_ outputs: [TLSDecryptor.Output], into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        for output in outputs {
            switch output {
            case .data(let fromClient, let bytes, let time):
                parse(.data(bytes), fromClient: fromClient, time: time, into: &records, summary: &summary)
            case .lost(let fromClient, let length, let time):
                parse(.gap(length: length), fromClient: fromClient, time: time, into: &records, summary: &summary)
            case .problem(let text):
                summary.undecryptedTLS.append("connection \(conn) (TLS from \(client)): \(text)")
            }
        }
    }

    /// Parses the application's bytes: HTTP/1.1, then WebSocket after an upgrade.
    private mutating func parse(_ event: TCPStream.Event, fromClient: Bool, time: UInt64, into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        let bytes: [UInt8]
        switch event {
        case .gap(let length):
            summary.gaps += 1
            records.append(.gap(CaptureGap(timeMicros: time, conn: conn, direction: fromClient ? .send : .recv, length: UInt64(length))))
            // Pick the stream up again at the next message or frame boundary.
            switch state {
            case .http(var requests, var responses, let waiting):
                if fromClient { requests.resynchronize() } else { responses.resynchronize() }
                state = .http(requests: requests, responses: responses, waiting: fromClient ? waiting : [])
            case .webSocket(var clientFrames, var serverFrames):
                if fromClient { clientFrames.resynchronize() } else { serverFrames.resynchronize() }
                state = .webSocket(client: clientFrames, server: serverFrames)
            default:
                break
            }
            return
        case .data(let data):
            bytes = data
        }
        if case .unknown = state {
            let text = String(decoding: bytes.prefix(8), as: UTF8.self)
            // Decrypted bytes start where the connection did.
            if fromStart || tls != nil || text.hasPrefix("HTTP/1.") || text.range(of: "^[A-Z]{3,7} ", options: .regularExpression) != nil {
                state = .http(requests: HTTPMessageParser(.request, synchronized: fromStart || tls != nil),
                              responses: HTTPMessageParser(.response, synchronized: fromStart || tls != nil), waiting: [])
            } else {
                // Picked up after the handshake: WebSocket frames, found by their boundaries.
                summary.webSocketSessions += 1
                records.append(.wsOpen(WebSocketOpen(timeMicros: time, conn: conn, url: "\(webSocketScheme)\(server)/", response: nil,
                                                     error: "the capture starts after the WebSocket handshake")))
                state = .webSocket(client: WebSocketFrameParser(deflate: false, contextTakeover: true, masked: true, synchronized: false),
                                   server: WebSocketFrameParser(deflate: false, contextTakeover: true, masked: false, synchronized: false))
            }
        }
        switch state {
        case .http(var requests, var responses, var waiting):
            if fromClient {
                for request in requests.feed(bytes, time: time) {
                    waiting.append(request)
                    responses.pendingRequestMethods.append(request.startLine[0])
                }
            } else {
                for response in responses.feed(bytes, time: time) {
                    guard !waiting.isEmpty else { continue }
                    let request = waiting.removeFirst()
                    if response.startLine[1] == "101" {
                        state = upgrade(request, response, clientBytes: requests.upgraded ?? [], serverBytes: responses.upgraded ?? [],
                                        time: time, into: &records, summary: &summary)
                        return
                    }
                    record(request, response, into: &records, summary: &summary)
                }
            }
            if let error = requests.error ?? responses.error {
                summary.unparsed.append("connection \(conn): \(error)")
                state = .failed
                return
            }
            state = .http(requests: requests, responses: responses, waiting: waiting)
        case .webSocket(var clientFrames, var serverFrames):
            state = .failed  // no second reference to the parsers: their buffers grow in place
            let outputs = fromClient ? clientFrames.feed(bytes, time: time) : serverFrames.feed(bytes, time: time)
            state = .webSocket(client: clientFrames, server: serverFrames)
            emit(outputs, fromClient: fromClient, into: &records, summary: &summary)
        case .unknown, .tls, .failed:
            return
        }
    }

    private mutating func emit(_ outputs: [WebSocketFrameParser.Output], fromClient: Bool, into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        for output in outputs {
            switch output {
            case .message(let opcode, let payload, let compressed, let time):
                summary.messages += 1
                records.append(.wsMessage(WebSocketMessage(timeMicros: time, conn: conn, direction: fromClient ? .send : .recv,
                                                           opcode: opcode, payload: Body(payload), compressed: compressed)))
            case .close(let code, let reason, let time):
                guard !closed else { continue }
                closed = true
                records.append(.wsClose(WebSocketClose(timeMicros: time, conn: conn, code: code, reason: reason, by: fromClient ? .client : .server)))
            case .error(let message):
                summary.unparsed.append("connection \(conn): \(message)")
            }
        }
    }

    private mutating func upgrade(_ request: HTTPMessage, _ response: HTTPMessage, clientBytes: [UInt8], serverBytes: [UInt8], time: UInt64,
                                  into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) -> Parsing {
        summary.webSocketSessions += 1
        // Read leniently: whatever the parameters, the endpoints went on to use the extension.
        let deflate = WebSocketExtension.parse(response.headers.filter { $0.name.lowercased() == "sec-websocket-extensions" }.map(\.value))
            .first { $0.name == PerMessageDeflate.name }
        let parameterNames = Set(deflate?.parameters.map(\.name) ?? [])
        records.append(.wsOpen(WebSocketOpen(
            timeMicros: request.timeMicros, conn: conn, url: webSocketScheme + Self.host(of: request) + request.startLine[1],
            requestHeaders: request.headers, response: self.response(response, summary: &summary),
            subprotocol: response.headers.first { $0.name.lowercased() == "sec-websocket-protocol" }?.value)))
        var clientFrames = WebSocketFrameParser(deflate: deflate != nil, contextTakeover: !parameterNames.contains("client_no_context_takeover"), masked: true)
        var serverFrames = WebSocketFrameParser(deflate: deflate != nil, contextTakeover: !parameterNames.contains("server_no_context_takeover"), masked: false)
        emit(clientFrames.feed(clientBytes, time: time), fromClient: true, into: &records, summary: &summary)
        emit(serverFrames.feed(serverBytes, time: time), fromClient: false, into: &records, summary: &summary)
        return .webSocket(client: clientFrames, server: serverFrames)
    }

    /// An exchange; a request the capture holds no response to is recorded with an error saying so.
    private func record(_ request: HTTPMessage, _ response: HTTPMessage?, into records: inout [TapeRecord], summary: inout CaptureImporter.Summary) {
        summary.exchanges += 1
        records.append(.http(HTTPExchange(
            timeMicros: request.timeMicros, conn: conn, durationMicros: response.map { $0.timeMicros - min($0.timeMicros, request.timeMicros) },
            request: HTTPRequest(method: request.startLine[0], url: httpScheme + Self.host(of: request) + request.startLine[1],
                                 headers: request.headers, body: Body(request.body)),
            response: response.map { self.response($0, summary: &summary) }, error: response == nil ? "no complete response in the capture" : nil)))
    }

    private static func host(of request: HTTPMessage) -> String {
        request.headers.first { $0.name.lowercased() == "host" }?.value ?? "unknown-host"
    }

    /// A response for the tape: gzip/deflate bodies stored decoded, the encoding noted; one that
    /// does not inflate is stored as sent and named in the summary.
    private func response(_ message: HTTPMessage, summary: inout CaptureImporter.Summary) -> HTTPResponse {
        let parts = message.startLine
        var response = HTTPResponse(status: Int(parts[1]) ?? 0, reason: parts.count > 2 ? parts[2] : nil, headers: message.headers, body: Body(message.body))
        if let encoding = message.headers.first(where: { $0.name.lowercased() == "content-encoding" })?.value.lowercased(),
           encoding == "gzip" || encoding == "deflate", !message.body.isEmpty {
            do {
                response.body = Body(try Inflate.inflate(message.body, format: encoding == "gzip" ? .gzip : .zlib))
                response.contentEncoding = encoding
            } catch {
                summary.unparsed.append("connection \(conn): \(encoding) body of a \(parts[1]) response stored as sent: \(error)")
            }
        }
        return response
    }
}

extension CaptureImporter {
    /// Imports the pcap or pcapng file at `path`, handing records to `write` in time order as
    /// they become final (older than 5 s of capture time than the newest packet), so memory
    /// does not grow with the capture. `progress` hears the bytes read now and then. A read
    /// error part-way (a truncated file) ends the import with what came before it; it is
    /// returned beside the summary.
    public static func importFile(_ path: String, bufferLimit: Int = 4 << 20, keyLog: KeyLog? = nil, progress: (Int) -> Void = { _ in },
                                  write: ([TapeRecord]) throws -> Void) throws -> (summary: Summary, readError: CaptureError?) {
        let file = try PcapFile(path: path)
        var importer = CaptureImporter(bufferLimit: bufferLimit, keyLog: keyLog)
        var readError: CaptureError?
        do {
            while let packet = try file.next() {
                importer.add(packet, linkType: file.linkType)
                if packet.number % 4096 == 0 {
                    progress(file.bytesRead)
                    let horizon = importer.elapsed(at: packet.timeMicros)
                    try write(importer.drain(before: horizon > 5_000_000 ? horizon - 5_000_000 : 0))
                }
            }
        } catch let error as CaptureError {
            readError = CaptureError(description: "\(path): \(error.description)")
        }
        try write(importer.finish())
        return (importer.summary, readError)
    }

    /// Imports the whole file at `path` into memory (see `importFile(_:bufferLimit:keyLog:progress:write:)`).
    public static func importFile(_ path: String, bufferLimit: Int = 4 << 20, keyLog: KeyLog? = nil) throws
        -> (records: [TapeRecord], summary: Summary, readError: CaptureError?) {
        var records: [TapeRecord] = []
        let (summary, readError) = try importFile(path, bufferLimit: bufferLimit, keyLog: keyLog) { records += $0 }
        return (records, summary, readError)
    }
}

extension Array where Element == TapeRecord {
    /// The records sorted by time; records of the same time keep their order.
    fileprivate func timeOrdered() -> [TapeRecord] {
        indices.sorted { (self[$0].timeMicros, $0) < (self[$1].timeMicros, $1) }.map { self[$0] }
    }
}

extension Array {
    /// The elements that satisfy `predicate` and those that do not, each in order.
    fileprivate func partitioned(_ predicate: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = [], no: [Element] = []
        for element in self { if predicate(element) { yes.append(element) } else { no.append(element) } }
        return (yes, no)
    }
}
