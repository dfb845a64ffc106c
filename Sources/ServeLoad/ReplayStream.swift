import MockServers

/// What the push server writes to a client of a recorded session at `--speed max`: every
/// recorded server message as one unmasked frame (RFC 6455 §5.2, shortest length encoding).
struct ReplayStream: Sendable {
    let bytes: [UInt8]
    /// Offsets where a frame starts (and the end of the stream).
    private let frameStarts: Set<Int>

    init(_ session: RecordedSession) {
        var bytes: [UInt8] = []
        var starts: Set<Int> = [0]
        for message in session.serverMessages {
            bytes.append(0x80 | message.opcode.rawValue)
            let count = message.payload.count
            switch count {
            case ..<126: bytes.append(UInt8(count))
            case ...0xFFFF: bytes += [126, UInt8(count >> 8), UInt8(count & 0xFF)]
            default: bytes += [127] + (0..<8).reversed().map { UInt8((count >> ($0 * 8)) & 0xFF) }
            }
            bytes += message.payload
            starts.insert(bytes.count)
        }
        self.bytes = bytes
        frameStarts = starts
    }

    /// How many leading bytes of `received` agree with the stream.
    func agreeingPrefix(_ received: ArraySlice<UInt8>) -> Int {
        zip(received, bytes).prefix { $0 == $1 }.count
    }

    /// Whether a frame starts at `offset` (or the stream ends there).
    func isFrameStart(_ offset: Int) -> Bool { frameStarts.contains(offset) }
}

/// The status line and the length of an HTTP response head at the start of `bytes`; nil until
/// the head is complete.
func responseHead(_ bytes: [UInt8]) -> (statusLine: String, length: Int)? {
    guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) else { return nil }
    let line = bytes[..<end].prefix { $0 != 13 }
    return (String(decoding: line, as: UTF8.self), end + 4)
}
