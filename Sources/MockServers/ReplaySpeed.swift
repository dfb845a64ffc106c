/// How fast the push server replays recorded messages.
public enum ReplaySpeed: Sendable, Hashable, CustomStringConvertible {
    /// Recorded timing divided by `factor` (1 = as recorded, 10 = ten times faster).
    case factor(Double)
    /// Every message as fast as the client reads them.
    case max

    /// Parses `1`, `2.5`, `max`.
    public init?(argument: String) {
        if argument == "max" {
            self = .max
        } else if let factor = Double(argument), factor.isFinite, factor > 0 {
            self = .factor(factor)
        } else {
            return nil
        }
    }

    /// The wall-clock delay, in nanoseconds, of a message recorded `micros` after the handshake.
    public func delayNanos(_ micros: UInt64) -> UInt64? {
        switch self {
        case .max: nil
        case .factor(let f): UInt64((Double(micros) * 1000 / f).rounded())
        }
    }

    public var description: String {
        switch self {
        case .max: "max"
        case .factor(let f): f == f.rounded() ? String(Int(f)) : String(f)
        }
    }
}
