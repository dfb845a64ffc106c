import Foundation
import JSONKit
import SwiftProtobuf
import WebcastProto

/// How the schema says a field's value is encoded.
public enum FieldKind: Sendable, Equatable {
    case int32, sint32, uint32, fixed32, sfixed32, bool, enumeration, float
    case int64, sint64, uint64, fixed64, sfixed64, double
    case string, bytes
    case message(String)
    /// A `map<K, V>` field: a repeated entry message with key 1 and value 2.
    case map(String)
}

/// One declared field of a message.
public struct FieldSchema: Sendable {
    public var number: Int
    public var name: String
    public var kind: FieldKind
    public var isRepeated: Bool
    /// For message and map fields: the position of their message in `Schema.messages`.
    var messageIndex: Int?
}

/// A declared field as the decoder's hot path reads it: shared, so that a lookup copies no strings.
final class FieldEntry: Sendable {
    let field: FieldSchema
    let number: Int
    let isRepeated: Bool
    let isMap: Bool
    init(_ field: FieldSchema) {
        self.field = field
        number = field.number
        isRepeated = field.isRepeated
        if case .map = field.kind { isMap = true } else { isMap = false }
    }
}

/// One declared message: its fields by number. Shared, so that passing it around copies nothing.
public final class MessageSchema: Sendable {
    /// The fully qualified name, e.g. `webcast.WebcastChatMessage`.
    public let fullName: String
    /// The short name, e.g. `WebcastChatMessage`: what a push frame's `method` carries.
    public let name: String
    /// Its position in `Schema.messages`.
    let index: Int
    public let fields: [Int: FieldSchema]
    /// Fields numbered below `denseLimit`, indexed by number, for the hot path.
    private let dense: [FieldEntry?]
    private let sparse: [Int: FieldEntry]
    private static let denseLimit = 64

    init(fullName: String, name: String, index: Int, fields: [Int: FieldSchema]) {
        self.fullName = fullName
        self.name = name
        self.index = index
        self.fields = fields
        dense = (0..<Self.denseLimit).map { fields[$0].map(FieldEntry.init) }
        sparse = fields.filter { $0.key >= Self.denseLimit }.mapValues(FieldEntry.init)
    }

    /// The declared field with this number.
    @inline(__always)
    public func field(_ number: Int) -> FieldSchema? {
        entry(number)?.field
    }

    @inline(__always)
    func entry(_ number: Int) -> FieldEntry? {
        number >= 0 && number < Self.denseLimit ? dense[number] : sparse[number]
    }
}

/// The project's protobuf schema, read from the descriptor that `tools/regen-proto`
/// embeds in `WebcastProto`, so that decoding walks messages by field number.
public struct Schema: Sendable {
    /// Every message, top-level and nested.
    public private(set) var messages: [MessageSchema] = []
    private var byFullName: [String: Int] = [:]
    private var byShortName: [String: Int] = [:]
    /// The messages flattened for the encoding walk.
    private(set) var encoding = EncodingTable([])
    /// The top-level messages by the bytes of their short name.
    private(set) var methods = MethodTable([])

    /// The schema of `Proto/webcast.proto`.
    public static let webcast: Schema = {
        guard let data = Data(base64Encoded: WebcastDescriptor.fileDescriptorSetBase64),
            let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: data)
        else { fatalError("the embedded webcast descriptor is corrupt; run tools/regen-proto") }
        return Schema(set)
    }()

    public init(_ set: Google_Protobuf_FileDescriptorSet) {
        for file in set.file {
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for message in file.messageType {
                add(message, prefix: prefix)
                byShortName[message.name] = byFullName[prefix + message.name]
            }
        }
        // Resolve each message-typed field to its message's position, once.
        for index in messages.indices {
            var fields = messages[index].fields
            for (number, field) in fields {
                switch field.kind {
                case .message(let typeName), .map(let typeName): fields[number]?.messageIndex = byFullName[typeName]
                default: break
                }
            }
            messages[index] = MessageSchema(fullName: messages[index].fullName, name: messages[index].name, index: index,
                                            fields: fields)
        }
        encoding = EncodingTable(messages)
        methods = MethodTable(byShortName.map { messages[$0.value] })
    }

    private mutating func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
        let fullName = prefix + message.name
        for nested in message.nestedType { add(nested, prefix: fullName + ".") }
        var fields: [Int: FieldSchema] = [:]
        for field in message.field {
            let number = Int(field.number)
            fields[number] = FieldSchema(
                number: number,
                name: field.name,
                kind: kind(of: field, in: message),
                isRepeated: field.label == .repeated,
                messageIndex: nil
            )
        }
        byFullName[fullName] = messages.count
        messages.append(MessageSchema(fullName: fullName, name: message.name, index: messages.count, fields: fields))
    }

    private func kind(of field: Google_Protobuf_FieldDescriptorProto, in message: Google_Protobuf_DescriptorProto) -> FieldKind {
        let typeName = field.typeName.hasPrefix(".") ? String(field.typeName.dropFirst()) : field.typeName
        switch field.type {
        case .int32: return .int32
        case .sint32: return .sint32
        case .uint32: return .uint32
        case .fixed32: return .fixed32
        case .sfixed32: return .sfixed32
        case .bool: return .bool
        case .enum: return .enumeration
        case .float: return .float
        case .int64: return .int64
        case .sint64: return .sint64
        case .uint64: return .uint64
        case .fixed64: return .fixed64
        case .sfixed64: return .sfixed64
        case .double: return .double
        case .string: return .string
        case .bytes: return .bytes
        case .message, .group:
            let entryName = typeName.split(separator: ".").last.map(String.init) ?? typeName
            let isMap = message.nestedType.contains { $0.name == entryName && $0.options.mapEntry }
            return isMap ? .map(typeName) : .message(typeName)
        }
    }

    /// The top-level message whose short name is `method` (e.g. `WebcastGiftMessage`).
    public func message(forMethod method: String) -> MessageSchema? {
        byShortName[method].map { messages[$0] }
    }

    /// The message with this fully qualified name.
    public func message(fullName: String) -> MessageSchema? {
        byFullName[fullName].map { messages[$0] }
    }
}

/// Top-level messages by the UTF-8 bytes of their short name (what a message's `method` holds),
/// looked up without making a string: the bytes are hashed, then compared.
final class MethodTable: @unchecked Sendable {
    /// Per slot (open addressing, a power of two at least twice the names): where its name lies in `names`
    /// and its message's position in `messages`; `message` is -1 for an empty slot.
    private struct Slot {
        var start: Int32 = 0
        var count: Int32 = 0
        var message: Int32 = -1
    }

    private let slots: UnsafeMutableBufferPointer<Slot>
    private let names: UnsafeMutableBufferPointer<UInt8>
    private let messages: [MessageSchema]

    init(_ messages: [MessageSchema]) {
        var size = 16
        while size < messages.count * 2 { size *= 2 }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot())
        var names: [UInt8] = []
        for (position, message) in messages.enumerated() {
            let name = Array(message.name.utf8)
            var index = name.withUnsafeBufferPointer { Self.hash($0) } & (size - 1)
            while slots[index].message >= 0 { index = (index + 1) & (size - 1) }
            slots[index] = Slot(start: Int32(names.count), count: Int32(name.count), message: Int32(position))
            names += name
        }
        self.names = .allocate(capacity: max(1, names.count))
        _ = self.names.initialize(from: names)
        self.messages = messages
    }

    deinit {
        slots.deallocate()
        names.deallocate()
    }

    /// The message whose short name is `bytes`.
    func message(named bytes: UnsafeBufferPointer<UInt8>) -> MessageSchema? {
        var index = Self.hash(bytes) & (slots.count - 1)
        while slots[index].message >= 0 {
            let slot = slots[index]
            if Int(slot.count) == bytes.count,
               bytes.isEmpty || memcmp(names.baseAddress! + Int(slot.start), bytes.baseAddress!, bytes.count) == 0 {
                return messages[Int(slot.message)]
            }
            index = (index + 1) & (slots.count - 1)
        }
        return nil
    }

    /// FNV-1a.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int(truncatingIfNeeded: hash >> 1)
    }
}
