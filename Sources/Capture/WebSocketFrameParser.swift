import Tape
import WireKit

/// One direction of a WebSocket connection, from captured bytes to messages as the application
/// sees them: frames unmasked, fragments joined, permessage-deflate inflated (one window per
/// direction, kept across messages unless the handshake said no_context_takeover).
struct WebSocketFrameParser {
    enum Output: Hashable {
        case message(opcode: WebSocketOpcode, payload: [UInt8], compressed: Bool, time: UInt64)
        case close(code: Int?, reason: String, time: UInt64)
        case error(String)
    }

    private var buffer: [UInt8] = []
    private var fragments: (opcode: WebSocketOpcode, payload: [UInt8], compressed: Bool, time: UInt64)?
    private let inflater: StreamingInflater?
    private let contextTakeover: Bool
    /// Frames from a client are masked, from a server not: a frame boundary is found by that.
    private let masked: Bool
    /// After a gap or from the middle of a connection: looking for a frame boundary.
    private var searching: Bool
    private var failed = false
    /// Bytes dropped while looking for a frame boundary.
    private(set) var skipped = 0

    /// `deflate`: permessage-deflate was negotiated; `contextTakeover`: this direction's sender
    /// keeps its window; `masked`: the client's direction; `synchronized`: the stream starts on a
    /// frame boundary (false for a capture that starts mid-connection).
    init(deflate: Bool, contextTakeover: Bool, masked: Bool, synchronized: Bool = true) {
        inflater = deflate ? StreamingInflater() : nil
        self.contextTakeover = contextTakeover
        self.masked = masked
        searching = !synchronized
    }

    /// Bytes went missing: drop what is buffered and look for the next frame boundary. The
    /// compression window is lost with them.
    mutating func resynchronize() {
        buffer = []
        fragments = nil
        inflater?.reset()
        searching = true
        failed = false
    }

    mutating func feed(_ bytes: [UInt8], time: UInt64) -> [Output] {
        guard !failed else { return [] }
        buffer += bytes
        if searching {
            guard let boundary = boundary() else {
                // Keep the last bytes: a boundary may begin in them.
                if buffer.count > 1 << 16 { skipped += buffer.count - 14; buffer.removeFirst(buffer.count - 14) }
                return []
            }
            skipped += boundary
            buffer.removeFirst(boundary)
            searching = false
        }
        var out: [Output] = []
        var start = 0
        while let frame = Self.frame(in: buffer, at: start) {
            start = frame.end
            let opcode = buffer[frame.headerStart] & 0x0F
            let fin = buffer[frame.headerStart] & 0x80 != 0
            let rsv1 = buffer[frame.headerStart] & 0x40 != 0
            var payload = Array(buffer[frame.payloadStart..<frame.end])
            if let key = frame.mask {
                for i in payload.indices { payload[i] ^= key[i & 3] }
            }
            switch opcode {
            case 0:
                guard fragments != nil else {
                    // Not a frame boundary after all: look again one byte past it (the frames
                    // before it were consumed).
                    buffer.removeFirst(frame.headerStart + 1)
                    skipped += 1
                    searching = true
                    return out + feed([], time: time)
                }
                fragments!.payload += payload
            case 8:
                let code = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil
                out.append(.close(code: code, reason: payload.count > 2 ? String(decoding: payload[2...], as: UTF8.self) : "", time: time))
                continue
            case 9, 10:
                out.append(.message(opcode: opcode == 9 ? .ping : .pong, payload: payload, compressed: false, time: time))
                continue
            default:
                guard let kind = WebSocketOpcode(rawValue: opcode) else { continue }
                fragments = (kind, payload, rsv1, time)
            }
            guard fin, let message = fragments else { continue }
            fragments = nil
            var data = message.payload
            if message.compressed, let inflater {
                do {
                    data = try inflater.inflate(data)
                    if !contextTakeover { inflater.reset() }
                } catch {
                    // Its bytes as the application saw them are unknown: named, not recorded.
                    out.append(.error("permessage-deflate: \(error)"))
                    continue
                }
            }
            out.append(.message(opcode: message.opcode, payload: data, compressed: message.compressed, time: message.time))
        }
        buffer.removeFirst(start)
        return out
    }

    /// What the stream left unfinished when it ended: a frame, or a message of fragments, cut
    /// short; nil when it ended on a message boundary.
    func unfinished() -> String? {
        guard !searching else { return nil }
        if !buffer.isEmpty { return "a WebSocket frame, after \(buffer.count) bytes" }
        return fragments.map { "a fragmented WebSocket message, after \($0.payload.count) bytes" }
    }

    /// The first offset where a message starts (not a continuation) and is followed by two more
    /// plausible frames, or by frames up to the end of the buffer: a known opcode, reserved bits
    /// clear (RSV1 only with compression), the direction's mask bit, short final control frames.
    private func boundary() -> Int? {
        func plausible(_ i: Int, first: Bool) -> Bool {
            guard i + 2 <= buffer.count else { return false }
            let head = buffer[i], second = buffer[i + 1]
            let opcode = head & 0x0F
            guard (first ? [1, 2, 8, 9, 10] : [0, 1, 2, 8, 9, 10]).contains(opcode), head & 0x30 == 0,
                  inflater != nil || head & 0x40 == 0, (second & 0x80 != 0) == masked else { return false }
            return opcode < 8 || (head & 0x80 != 0 && second & 0x7F < 126)
        }
        var i = 0
        while i + 2 <= buffer.count {
            var at = i, chained = 0
            while chained < 3, plausible(at, first: at == i), let frame = Self.frame(in: buffer, at: at) {
                chained += 1
                at = frame.end
                if at == buffer.count { break }
            }
            if chained == 3 || (chained > 0 && at == buffer.count) { return i }
            i += 1
        }
        return nil
    }

    /// The frame starting at `start` when it is complete: where its payload starts and ends.
    private static func frame(in bytes: [UInt8], at start: Int) -> (headerStart: Int, payloadStart: Int, end: Int, mask: [UInt8]?)? {
        guard bytes.count >= start + 2 else { return nil }
        var length = Int(bytes[start + 1] & 0x7F)
        var i = start + 2
        if length == 126 {
            guard bytes.count >= i + 2 else { return nil }
            length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            i += 2
        } else if length == 127 {
            guard bytes.count >= i + 8 else { return nil }
            length = bytes[i..<i + 8].reduce(0) { $0 << 8 | Int($1) }
            i += 8
        }
        var mask: [UInt8]?
        if bytes[start + 1] & 0x80 != 0 {
            guard bytes.count >= i + 4 else { return nil }
            mask = Array(bytes[i..<i + 4])
            i += 4
        }
        guard length >= 0, bytes.count - i >= length else { return nil }
        return (start, i, i + length, mask)
    }
}
