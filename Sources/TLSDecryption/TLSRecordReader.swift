/// A TLS record as it came off one direction of a connection.
public struct TLSRecord: Sendable, Hashable {
    /// The content types of TLS records.
    public enum ContentType {
        public static let changeCipherSpec: UInt8 = 20
        public static let alert: UInt8 = 21
        public static let handshake: UInt8 = 22
        public static let applicationData: UInt8 = 23
    }

    public var contentType: UInt8
    /// The record's protocol version field (`0x0303` for TLS 1.2 and 1.3 records).
    public var version: UInt16
    /// The record's payload: plaintext, or ciphertext with its tag.
    public var fragment: [UInt8]
    /// The record's number in its direction, from 1.
    public var number: Int
    /// Where the record's header starts in its direction's byte stream.
    public var offset: Int
    /// Capture time of the record's last byte.
    public var time: UInt64

    public init(contentType: UInt8, version: UInt16, fragment: [UInt8], number: Int = 1, offset: Int = 0, time: UInt64 = 0) {
        self.contentType = contentType
        self.version = version
        self.fragment = fragment
        self.number = number
        self.offset = offset
        self.time = time
    }

    /// The five header bytes: content type, version, length.
    var header: [UInt8] {
        [contentType, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(fragment.count >> 8), UInt8(fragment.count & 0xFF)]
    }
}

/// Why a TLS stream cannot be read on.
public struct TLSError: Error, CustomStringConvertible, Sendable, Hashable {
    public var description: String
}

/// Splits one direction of a TLS connection, as reassembled from TCP, into records.
struct TLSRecordReader {
    /// The largest fragment TLS allows: 2^14 bytes of plaintext and 2048 of expansion.
    static let maximumFragment = (1 << 14) + 2048

    private var buffer: [UInt8] = []
    /// Where unread bytes start in `buffer`.
    private var start = 0
    /// Stream offset of `buffer[0]`.
    private var base = 0
    private var count = 0

    /// Bytes received but not yet a complete record.
    var buffered: Int { buffer.count - start }

    /// Adds bytes captured at `time`; returns the records they completed, and an error when a
    /// record header is not TLS (unknown content type or version, a length past the maximum):
    /// nothing after it can be read.
    mutating func feed(_ bytes: [UInt8], time: UInt64) -> (records: [TLSRecord], error: TLSError?) {
        buffer += bytes
        var records: [TLSRecord] = []
        while buffer.count - start >= 5 {
            let type = buffer[start], major = buffer[start + 1]
            let length = Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
            guard (20...24).contains(type), major == 3, length <= Self.maximumFragment else {
                return (records, TLSError(description: "no TLS record header at byte offset \(base + start) (\(buffer[start..<start + 5].map { String($0, radix: 16) }.joined(separator: " ")))"))
            }
            guard buffer.count - start >= 5 + length else { break }
            count += 1
            records.append(TLSRecord(contentType: type, version: UInt16(major) << 8 | UInt16(buffer[start + 2]),
                                     fragment: Array(buffer[start + 5..<start + 5 + length]), number: count, offset: base + start, time: time))
            start += 5 + length
        }
        if start > 1 << 16 || start == buffer.count {
            buffer.removeFirst(start)
            base += start
            start = 0
        }
        return (records, nil)
    }
}

/// Joins handshake messages split across records and splits records that hold several.
struct TLSHandshakeReader {
    /// A handshake message: its type and body.
    struct Message: Hashable {
        var type: UInt8
        var body: [UInt8]
    }

    /// Handshake message types read here.
    enum MessageType {
        static let clientHello: UInt8 = 1
        static let serverHello: UInt8 = 2
        static let finished: UInt8 = 20
        static let keyUpdate: UInt8 = 24
    }

    private var buffer: [UInt8] = []

    mutating func feed(_ fragment: [UInt8]) -> [Message] {
        buffer += fragment
        var messages: [Message] = []
        var start = 0
        while buffer.count - start >= 4 {
            let length = Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            guard buffer.count - start - 4 >= length else { break }
            messages.append(Message(type: buffer[start], body: Array(buffer[start + 4..<start + 4 + length])))
            start += 4 + length
        }
        buffer.removeFirst(start)
        return messages
    }
}

/// What a ClientHello tells: its random, the key to the key log.
struct ClientHello {
    var random: [UInt8]

    init?(_ body: [UInt8]) {
        guard body.count >= 34 else { return nil }
        random = Array(body[2..<34])
    }
}

/// What a ServerHello tells: the version and cipher suite the server chose, its random.
struct ServerHello {
    var random: [UInt8]
    var cipherSuite: UInt16
    /// The negotiated version: the `supported_versions` extension's when present (TLS 1.3),
    /// else the legacy version field.
    var version: UInt16

    /// The random of a HelloRetryRequest (RFC 8446 section 4.1.3), a ServerHello in form only.
    static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    var isHelloRetryRequest: Bool { random == Self.helloRetryRequestRandom }

    init?(_ body: [UInt8]) {
        var reader = ByteReader(body)
        guard let legacyVersion = reader.uint16(), let random = reader.bytes(32), let sessionID = reader.uint8(),
              reader.bytes(Int(sessionID)) != nil, let suite = reader.uint16(), reader.uint8() != nil else { return nil }
        self.random = random
        cipherSuite = suite
        version = legacyVersion
        guard let extensionsLength = reader.uint16(), var extensions = reader.bytes(Int(extensionsLength)).map(ByteReader.init) else { return }
        while let type = extensions.uint16(), let length = extensions.uint16(), let data = extensions.bytes(Int(length)) {
            if type == 43, data.count == 2 { version = UInt16(data[0]) << 8 | UInt16(data[1]) }  // supported_versions
        }
    }
}

/// Reads big-endian fields off the front of bytes; nil once they run out.
private struct ByteReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard bytes.count - index >= count else { return nil }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    mutating func uint8() -> UInt8? { bytes(1)?[0] }

    mutating func uint16() -> UInt16? { bytes(2).map { UInt16($0[0]) << 8 | UInt16($0[1]) } }
}
