import Capture
import Tape
import TLSDecryption

/// The opening of a WebSocket connection put before the fuzzed frames. Bits of the options
/// byte: 0 permessage-deflate, 1 client_no_context_takeover, 2 server_no_context_takeover.
struct WebSocketHandshake {
    var request: [UInt8]
    var response: [UInt8]

    init(options: UInt8) {
        var extensions = options & 1 != 0 ? "permessage-deflate" : ""
        if options & 3 == 3 { extensions += "; client_no_context_takeover" }
        if options & 5 == 5 { extensions += "; server_no_context_takeover" }
        let offer = extensions.isEmpty ? "" : "Sec-WebSocket-Extensions: permessage-deflate\r\n"
        let answer = extensions.isEmpty ? "" : "Sec-WebSocket-Extensions: \(extensions)\r\n"
        request = Array(("GET /webcast/im/push/?room_id=1 HTTP/1.1\r\nHost: push.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(offer)\r\n").utf8)
        response = Array(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\(answer)\r\n").utf8)
    }
}

/// A connection opened with a SYN, then chunks of bytes each way, in order.
public enum ConnectionTarget {
    /// The packets of an input: for a WebSocket, the handshake's options byte first; then chunks,
    /// each a direction byte (bit 0: from the server; with `gaps`, bit 7: the bytes were not
    /// captured, a packet cut by the snapshot length), a 16-bit big-endian length and the bytes;
    /// `closed`: then a FIN each way.
    public static func packets(_ input: [UInt8], webSocket: Bool, gaps: Bool = false, closed: Bool = false) -> ConnectionPackets {
        var reader = FuzzInput(input)
        var connection = ConnectionPackets()
        var next: [UInt32] = [0x1000_0000, 0x2000_0000]
        connection.add(fromClient: true, sequence: next[0] &- 1, flags: 0x02, payload: [])
        connection.add(fromClient: false, sequence: next[1] &- 1, flags: 0x12, payload: [])
        func send(_ payload: [UInt8], fromClient: Bool, captured: Bool = true) {
            let side = fromClient ? 0 : 1
            // What one IPv4 packet can claim to carry.
            let missing = captured ? 0 : min(payload.count, 0xFFFF - 40)
            connection.add(fromClient: fromClient, sequence: next[side], flags: 0x18, payload: captured ? payload : [], missing: missing)
            next[side] &+= UInt32(captured ? payload.count : missing)
        }
        if webSocket {
            let handshake = WebSocketHandshake(options: reader.byte())
            send(handshake.request, fromClient: true)
            send(handshake.response, fromClient: false)
        }
        while !reader.isAtEnd {
            let direction = reader.byte()
            send(reader.bytes(reader.uint16()), fromClient: direction & 1 == 0, captured: !gaps || direction & 0x80 == 0)
        }
        if closed {
            connection.add(fromClient: true, sequence: next[0], flags: 0x11, payload: [])
            connection.add(fromClient: false, sequence: next[1], flags: 0x11, payload: [])
        }
        return connection
    }

    static func run(_ input: [UInt8], webSocket: Bool) {
        Invariant.importable(packets(input, webSocket: webSocket).imported().records)
    }
}

/// A TLS connection decrypted with a key log, as `import --keylog` does (the key log known from
/// the start) and as `sniff --keylog` does when the key log gets the keys only after the
/// connection closed: both import the same records.
public enum TLSTarget {
    /// The key log and the packets of an input: a 16-bit big-endian length and that many bytes of
    /// key log text, then chunks as for `ConnectionTarget` (bit 7 of a direction byte: a gap),
    /// then a FIN each way.
    public static func parts(_ input: [UInt8]) -> (keyLog: KeyLog, packets: ConnectionPackets) {
        var reader = FuzzInput(input)
        let keyLog = KeyLog(parsing: String(decoding: reader.bytes(reader.uint16()), as: UTF8.self))
        return (keyLog, ConnectionTarget.packets(reader.rest(), webSocket: false, gaps: true, closed: true))
    }

    static func run(_ input: [UInt8]) {
        let (keyLog, packets) = parts(input)
        let atOnce = packets.imported(keyLog: keyLog), live = packets.importedLive(keyLog: keyLog)
        Invariant.importable(atOnce.records)
        Invariant.importable(live.records)
        Invariant.check(live.records == atOnce.records, "a live capture imports \(live.records.count) records, an import \(atOnce.records.count)")
        Invariant.check(live.summary.decryptedTLS == atOnce.summary.decryptedTLS, "decrypted: \(live.summary.decryptedTLS) live, \(atOnce.summary.decryptedTLS) at once")
    }
}

/// TCP segments of one connection in any order, overlapping, cut short or wrapping around.
public enum TCPTarget {
    /// One segment of an input: a control byte (bit 0 from the server, 1 SYN, 2 FIN, 3 RST,
    /// bits 4-7 times 64 bytes not captured), a 32-bit big-endian sequence number counted from
    /// near the wrap-around, a length byte and the payload.
    public struct Segment {
        public var fromClient: Bool
        public var sequence: UInt32
        public var flags: UInt8
        public var payload: [UInt8]
        public var missing: Int

        /// Where the payload starts in the stream (a SYN takes one sequence number).
        var start: UInt32 { flags & 0x02 != 0 ? sequence &+ 1 : sequence }
    }

    public static func segments(_ input: [UInt8]) -> [Segment] {
        var reader = FuzzInput(input)
        var segments: [Segment] = []
        while !reader.isAtEnd {
            let control = reader.byte()
            let fromClient = control & 1 == 0
            let sequence = (fromClient ? 0xFFFF_FF00 : 0x7FFF_FF00) &+ reader.uint32()
            let payload = reader.bytes(Int(reader.byte()))
            segments.append(Segment(fromClient: fromClient, sequence: sequence, flags: 0x10 | (control >> 1 & 0x07), payload: payload,
                                    missing: Int(control >> 4) * 64))
        }
        return segments
    }

    /// The segments as the importer sees them, in a capture.
    public static func packets(_ segments: [Segment]) -> ConnectionPackets {
        var connection = ConnectionPackets()
        for segment in segments {
            connection.add(fromClient: segment.fromClient, sequence: segment.sequence, flags: segment.flags, payload: segment.payload,
                           missing: segment.missing)
        }
        return connection
    }

    static let bufferLimit = 4096

    static func run(_ input: [UInt8]) {
        let segments = segments(input)
        for fromClient in [true, false] {
            reassemble(segments.filter { $0.fromClient == fromClient })
        }
        Invariant.importable(packets(segments).imported(bufferLimit: bufferLimit).records)
    }

    /// Every byte the stream yields is a byte of a segment at that place in the stream, and
    /// every gap is a positive length: nothing spliced, nothing made up.
    private static func reassemble(_ segments: [Segment]) {
        var stream = TCPStream(bufferLimit: bufferLimit)
        var received: [Segment] = []
        var position: UInt32?
        func follow(_ events: [TCPStream.Event]) {
            for event in events {
                switch event {
                case .data(let bytes):
                    let at = position!
                    Invariant.check(!bytes.isEmpty, "empty data at \(at)")
                    Invariant.check(received.contains { segment in
                        let offset = Int(at &- segment.start)
                        return offset < segment.payload.count && segment.payload[offset...].elementsEqual(bytes)
                    }, "\(bytes.count) bytes at \(at) are not what a segment holds there")
                    position = at &+ UInt32(bytes.count)
                case .gap(let length):
                    Invariant.check(length > 0, "a gap of \(length) bytes at \(position!)")
                    position = position! &+ UInt32(truncatingIfNeeded: length)
                }
            }
        }
        for segment in segments {
            received.append(segment)
            if position == nil { position = segment.start }
            let tcp = TCPSegment(source: .init(address: [10, 0, 0, 1], port: 50000), destination: .init(address: [10, 0, 0, 2], port: 80),
                                 sequence: segment.sequence, flags: segment.flags, payload: segment.payload, missing: segment.missing)
            follow(stream.add(tcp))
        }
        follow(stream.finish())
    }
}
