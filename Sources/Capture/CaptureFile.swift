/// The capture files `livetape import` tells apart, by content.
public enum CaptureFileKind: Sendable, Equatable {
    /// A JSON object, as a HAR (HTTP Archive) export is.
    case har
    /// A libpcap file: magic `a1b2c3d4` (or `a1b23c4d`, nanosecond times) in either byte order.
    case pcap
    /// A pcapng file: a section header block, `0a0d0d0a`.
    case pcapng

    /// The kind of file that starts with `bytes`, or nil when it is none of them.
    public init?(detecting bytes: [UInt8]) {
        let magic = Array(bytes.prefix(4))
        if Self.pcapMagics.contains(magic) {
            self = .pcap
        } else if magic == [0x0A, 0x0D, 0x0D, 0x0A] {
            self = .pcapng
        } else if bytes.dropFirst(bytes.starts(with: HARImporter.byteOrderMark) ? 3 : 0)
            .first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
            self = .har
        } else {
            return nil
        }
    }

    private static let pcapMagics: [[UInt8]] = [
        [0xA1, 0xB2, 0xC3, 0xD4], [0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D], [0x4D, 0x3C, 0xB2, 0xA1],
    ]
}
