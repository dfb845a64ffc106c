import CPcap

/// One packet as libpcap read it.
public struct CapturedPacket: Sendable {
    /// Capture time, microseconds since the epoch.
    public var timeMicros: UInt64
    /// The captured bytes (at most the snapshot length).
    public var data: [UInt8]
    /// The packet's length on the wire; more than `data.count` when it was truncated.
    public var wireLength: Int
    /// 1-based number of the packet in the capture.
    public var number: Int

    public init(timeMicros: UInt64, data: [UInt8], wireLength: Int, number: Int) {
        self.timeMicros = timeMicros
        self.data = data
        self.wireLength = wireLength
        self.number = number
    }
}

/// Why a capture cannot be read.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A pcap or pcapng file read through libpcap, packet by packet.
public final class PcapFile {
    /// The link-layer header type (`DLT_*`).
    public let linkType: Int32
    private let handle: OpaquePointer
    private var count = 0

    /// Opens `path`; throws libpcap's message when it is not a capture it can read.
    public init(path: String) throws {
        var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &errors) else {
            throw CaptureError(description: "\(path): \(String(cString: errors))")
        }
        self.handle = handle
        linkType = pcap_datalink(handle)
    }

    deinit { pcap_close(handle) }

    /// The next packet; nil at the end of the file. Throws on a read error (a truncated file).
    public func next() throws -> CapturedPacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        switch pcap_next_ex(handle, &header, &data) {
        case 1:
            guard let header, let data else { return nil }
            count += 1
            let h = header.pointee
            return CapturedPacket(
                timeMicros: UInt64(max(0, h.ts.tv_sec)) * 1_000_000 + UInt64(max(0, h.ts.tv_usec)),
                data: Array(UnsafeBufferPointer(start: data, count: Int(h.caplen))),
                wireLength: Int(h.len), number: count)
        case PCAP_ERROR_BREAK:
            return nil
        default:
            throw CaptureError(description: "packet \(count + 1): \(String(cString: pcap_geterr(handle)))")
        }
    }
}
