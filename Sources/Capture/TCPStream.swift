/// One direction of a TCP connection, reassembled: segments in any order, retransmitted or
/// overlapping, become the byte stream the application read — or an explicit gap where bytes
/// are missing, never spliced data.
public struct TCPStream: Sendable {
    /// What the stream yields, in order.
    public enum Event: Sendable, Hashable {
        case data([UInt8])
        /// `length` bytes of the stream were never captured.
        case gap(length: Int)
    }

    /// Out-of-order bytes held before a gap is declared.
    public let bufferLimit: Int
    /// The sequence number of the next byte expected; nil before the first segment.
    private var next: UInt32?
    private var pending: [(sequence: UInt32, bytes: [UInt8])] = []
    private var pendingBytes = 0
    /// The sequence number just past the stream's last byte, once its FIN said where that is.
    private var end: UInt32?
    /// Whether a RST ended the stream.
    public private(set) var wasReset = false
    /// Whether every byte up to the stream's FIN has been yielded.
    public var isFinished: Bool { end != nil && end == next && pending.isEmpty }

    public init(bufferLimit: Int = 4 << 20) {
        self.bufferLimit = bufferLimit
    }

    /// Adds a segment of this direction; returns what became contiguous.
    public mutating func add(_ segment: TCPSegment) -> [Event] {
        var sequence = segment.sequence
        if segment.isSYN { sequence &+= 1 }
        if next == nil { next = sequence }
        var events: [Event] = []
        if !segment.payload.isEmpty || segment.missing > 0 {
            insert(sequence: sequence, bytes: segment.payload, events: &events)
            if segment.missing > 0, let expected = next, expected == sequence &+ UInt32(truncatingIfNeeded: segment.payload.count) {
                // The capture cut this segment short: the rest of it is a gap.
                events.append(.gap(length: segment.missing))
                next = expected &+ UInt32(truncatingIfNeeded: segment.missing)
                drain(&events)
            }
        }
        if segment.isFIN { end = sequence &+ UInt32(truncatingIfNeeded: segment.payload.count + segment.missing) }
        if segment.isRST { wasReset = true }
        if pendingBytes > bufferLimit { skipToPending(&events) }
        return events
    }

    /// The end of the capture: held bytes after a hole come out behind a gap.
    public mutating func finish() -> [Event] {
        var events: [Event] = []
        while !pending.isEmpty { skipToPending(&events) }
        return events
    }

    /// Signed distance from the next expected byte to `sequence` (serial arithmetic: wraps).
    private func offset(_ sequence: UInt32) -> Int {
        Int(Int32(bitPattern: sequence &- (next ?? sequence)))
    }

    private mutating func insert(sequence: UInt32, bytes: [UInt8], events: inout [Event]) {
        let distance = offset(sequence)
        if distance + bytes.count <= 0 { return }  // a retransmission of what came already
        if distance <= 0 {
            let fresh = Array(bytes[(-distance)...])
            events.append(.data(fresh))
            next = next! &+ UInt32(truncatingIfNeeded: fresh.count)
            drain(&events)
            return
        }
        let index = pending.firstIndex { offset($0.sequence) > distance } ?? pending.endIndex
        pending.insert((sequence, bytes), at: index)
        pendingBytes += bytes.count
    }

    /// Emits every held segment that became contiguous.
    private mutating func drain(_ events: inout [Event]) {
        while let first = pending.first, offset(first.sequence) <= 0 {
            pending.removeFirst()
            pendingBytes -= first.bytes.count
            let distance = offset(first.sequence)
            guard distance + first.bytes.count > 0 else { continue }
            let fresh = Array(first.bytes[(-distance)...])
            events.append(.data(fresh))
            next = next! &+ UInt32(truncatingIfNeeded: fresh.count)
        }
    }

    /// Gives up on the hole before the first held segment: a gap, then what follows it.
    private mutating func skipToPending(_ events: inout [Event]) {
        guard let first = pending.first else { return }
        events.append(.gap(length: offset(first.sequence)))
        next = first.sequence
        drain(&events)
    }
}
