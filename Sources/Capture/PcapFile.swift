import CPcap
import Tape
#if canImport(Glibc)
import Glibc
#endif

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
            throw CaptureError(description: "\(path): not a capture libpcap reads: \(libpcapMessage(errors))")
        }
        self.handle = handle
        linkType = pcap_datalink(handle)
    }

    deinit { pcap_close(handle) }

    /// Bytes of the file read so far (for progress).
    public var bytesRead: Int {
        guard let file = pcap_file(handle) else { return 0 }
        return max(0, ftell(file))
    }

    /// The next packet; nil at the end of the file. Throws on a read error (a truncated file).
    public func next() throws -> CapturedPacket? {
        switch readPacket(handle, count: &count) {
        case .packet(let packet):
            return packet
        case .none(let status) where status == PCAP_ERROR_BREAK:
            return nil
        default:
            throw CaptureError(description: "packet \(count + 1): \(String(cString: pcap_geterr(handle)))")
        }
    }
}

/// A live capture on a network interface through libpcap, filtered with BPF.
public final class LiveCapture: @unchecked Sendable {
    /// The link-layer header type (`DLT_*`).
    public let linkType: Int32
    private let handle: OpaquePointer
    private var count = 0

    /// Opens `interface` in immediate mode with `filter` (BPF syntax). Throws a message that
    /// says what is missing when the process may not capture (root or CAP_NET_RAW).
    public init(interface: String, filter: String, snapshotLength: Int32 = 262_144) throws {
        var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(interface, &errors) else {
            throw CaptureError(description: "\(interface): \(libpcapMessage(errors))")
        }
        pcap_set_snaplen(handle, snapshotLength)
        pcap_set_immediate_mode(handle, 1)
        pcap_set_timeout(handle, 100)
        pcap_set_buffer_size(handle, 32 << 20)
        let status = pcap_activate(handle)
        if status < 0 {
            let message = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            if status == PCAP_ERROR_PERM_DENIED || status == PCAP_ERROR_PROMISC_PERM_DENIED {
                throw CaptureError(description: "\(interface): capturing needs root or the CAP_NET_RAW capability "
                                   + "(e.g. sudo setcap cap_net_raw,cap_net_admin=eip $(command -v livetape)): \(message)")
            }
            throw CaptureError(description: "\(interface): \(message)")
        }
        var program = bpf_program()
        guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let message = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw CaptureError(description: "filter \"\(filter)\": \(message)")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            let message = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw CaptureError(description: "filter \"\(filter)\": \(message)")
        }
        pcap_setnonblock(handle, 1, &errors)
        self.handle = handle
        linkType = pcap_datalink(handle)
        descriptor = pcap_get_selectable_fd(handle)
    }

    private let descriptor: Int32

    deinit { pcap_close(handle) }

    /// The next packet, or nil when none arrived within 100 ms.
    public func next() throws -> CapturedPacket? {
        switch readPacket(handle, count: &count) {
        case .packet(let packet):
            return packet
        case .none(0):
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&ready, 1, 100)
            return nil
        default:
            throw CaptureError(description: String(cString: pcap_geterr(handle)))
        }
    }
}

private enum ReadResult {
    case packet(CapturedPacket)
    /// No packet: `pcap_next_ex`'s status (0 timeout, PCAP_ERROR_BREAK end of file, other errors).
    case none(Int32)
}

/// One `pcap_next_ex` on `handle`; `count` numbers the packets read.
private func readPacket(_ handle: OpaquePointer, count: inout Int) -> ReadResult {
    var header: UnsafeMutablePointer<pcap_pkthdr>?
    var data: UnsafePointer<UInt8>?
    let status = pcap_next_ex(handle, &header, &data)
    guard status == 1, let header, let data else { return .none(status == 1 ? 0 : status) }
    count += 1
    let h = header.pointee
    return .packet(CapturedPacket(
        timeMicros: microseconds(h.ts),
        data: Array(UnsafeBufferPointer(start: data, count: Int(h.caplen))),
        wireLength: Int(h.len), number: count))
}

/// A packet's time in microseconds since the epoch; a time past what a tape holds (a corrupt
/// timestamp, such as a pcapng block's 64-bit one) is clamped to `TapeFormat.maxExactInteger`.
private func microseconds(_ time: timeval) -> UInt64 {
    let (whole, overflow) = UInt64(max(0, time.tv_sec)).multipliedReportingOverflow(by: 1_000_000)
    let (sum, carry) = whole.addingReportingOverflow(UInt64(max(0, time.tv_usec)))
    return overflow || carry ? TapeFormat.maxExactInteger : min(TapeFormat.maxExactInteger, sum)
}

/// The NUL-terminated message libpcap wrote into `errors`.
private func libpcapMessage(_ errors: [CChar]) -> String {
    String(decoding: errors.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
