/// How many clients of each kind a load run sends at `livetape serve` at once.
public struct LoadPlan: Sendable {
    /// Signing requests (the tape's first recorded exchange), spread over `signingConnections`
    /// keep-alive connections, one request at a time on each.
    public var signingRequests = 2000
    public var signingConnections = 50
    /// Well-behaved clients: each plays the tape's client side and must receive every recorded
    /// server message, in order and byte for byte.
    public var replays = 100
    /// Clients of each `Misbehaviour`.
    public var misbehaving = LoadPlan.misbehaving(each: 5)
    /// `--handshake-timeout` of the server: how long stalled handshakes wait for their 408.
    public var handshakeTimeoutSeconds = 2.0
    /// Growth of the server's resident memory from its start to the end of the run that fails
    /// the run.
    public var maxRSSGrowthMiB = 256.0
    /// How long the clients may take; a client still running then fails.
    public var timeout: Duration = .seconds(120)

    public init() {}

    /// `count` clients of each misbehaviour, and twice as many slow readers.
    public static func misbehaving(each count: Int) -> [Misbehaviour: Int] {
        Dictionary(uniqueKeysWithValues: Misbehaviour.allCases.map { ($0, $0 == .slowReader ? 2 * count : count) })
    }

    /// The WebSocket sessions the server reports on: every replay, the final client and every
    /// misbehaving client that completes its handshake.
    var upgradedSessions: Int {
        replays + 1 + misbehaving.filter { $0.key.upgrades }.values.reduce(0, +)
    }
}
