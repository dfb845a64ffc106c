import Foundation
import TLSDecryption

/// The key log given with `--keylog`, read again whenever its size changes: a browser appends
/// to its SSLKEYLOGFILE as it opens connections.
final class KeyLogFile {
    let path: String
    private(set) var keyLog = KeyLog()
    private var size: Int?

    /// Reads the file at `path`; throws when it cannot be read, unless `mayAppear` (it may be
    /// created later, as a browser does on its first TLS connection).
    init(path: String, mayAppear: Bool = false) throws {
        self.path = path
        if !refresh() && !mayAppear { throw KeyLogError(description: "\(path): cannot read the key log") }
    }

    /// Reads the file again when its size changed; whether it could be read.
    @discardableResult
    func refresh() -> Bool {
        guard let current = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return false }
        guard current != size else { return true }
        guard let log = try? KeyLog(contentsOf: path) else { return false }
        keyLog = log
        size = current
        return true
    }

    /// The lines that could not be read, each as `FILE: line N: why`.
    var problems: [String] { keyLog.problems.map { "\(path): \($0)" } }
}
