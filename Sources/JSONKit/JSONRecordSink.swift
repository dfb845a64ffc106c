/// Something that takes a JSON object's keys one by one, in order: a `JSONObjectBuilder` keeps
/// them as values, a `JSONObjectWriter` writes them as canonical JSON.
public protocol JSONObjectSink {
    mutating func set(_ key: String, _ value: JSONValue)
}

extension JSONObjectSink {
    /// Sets the key only when `value` is present.
    @inlinable
    public mutating func set(_ key: String, _ value: JSONValue?) {
        if let value { set(key, value) }
    }
}

/// Where records go as they are made, one after another: kept as values (`JSONRecords`) or
/// written as canonical JSON Lines (`JSONLines`), so that a record bound for a file is written
/// key by key and never built as a value first.
public protocol JSONRecordSink {
    associatedtype Object: JSONObjectSink
    /// Adds a record made as a value.
    mutating func add(_ record: JSONValue)
    /// Adds an object record whose keys `build` sets, in order; `capacity` is how many it may set.
    mutating func addObject(capacity: Int, _ build: (inout Object) -> Void)
}

/// Records kept as values.
public struct JSONRecords: JSONRecordSink, Sendable {
    public private(set) var records: [JSONValue] = []

    public init() {}

    public mutating func add(_ record: JSONValue) {
        records.append(record)
    }

    public mutating func addObject(capacity: Int, _ build: (inout JSONObjectBuilder) -> Void) {
        var object = JSONObjectBuilder(capacity: capacity)
        build(&object)
        records.append(object.value)
    }
}

/// Records as canonical JSON Lines (each record's canonical JSON, then a newline), and lines of
/// text: what is written to a transcript file, made on one thread and written from another.
public struct JSONLines: JSONRecordSink, Sendable {
    public private(set) var bytes: [UInt8] = []
    /// The lines held.
    public private(set) var count = 0

    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func add(_ record: JSONValue) {
        CanonicalJSON.append(record, to: &bytes)
        endLine()
    }

    public mutating func addObject(capacity: Int, _ build: (inout JSONObjectWriter) -> Void) {
        var object = JSONObjectWriter(JSONWriter(appendingTo: bytes))
        bytes = []  // the writer holds the only reference: the bytes grow in place, not copied
        build(&object)
        bytes = object.finish()
        endLine()
    }

    /// Adds a line of text (without its newline).
    public mutating func append(line: String) {
        bytes.append(contentsOf: line.utf8)
        endLine()
    }

    public mutating func append(contentsOf lines: JSONLines) {
        bytes.append(contentsOf: lines.bytes)
        count += lines.count
    }

    /// Empties it, keeping its capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }

    private mutating func endLine() {
        bytes.append(0x0A)
        count += 1
    }
}

/// Writes one JSON object as canonical JSON, key by key: the text `JSONWriter.value(_:)` writes
/// for the object with the same pairs.
public struct JSONObjectWriter: JSONObjectSink {
    private var writer: JSONWriter
    private var first = true

    /// An object to be written at the end of `writer`'s bytes (it opens with the first key, so that
    /// nothing is written while the caller may still hold the bytes).
    public init(_ writer: JSONWriter) {
        self.writer = writer
    }

    public mutating func set(_ key: String, _ value: JSONValue) {
        writer.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        first = false
        writer.string(key)
        writer.append(UInt8(ascii: ":"))
        writer.value(value)
    }

    /// Closes the object and hands its bytes over (the writer keeps none, so they were never shared
    /// while written).
    public mutating func finish() -> [UInt8] {
        if first { writer.append(UInt8(ascii: "{")) }
        writer.append(UInt8(ascii: "}"))
        var done: [UInt8] = []
        swap(&done, &writer.bytes)
        return done
    }
}
