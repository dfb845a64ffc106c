#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Files for the readers that take a path: one per input, unlinked as soon as it is made (it
/// goes with its descriptor), reached through `/proc/self/fd`, in shared memory where there is some.
enum ScratchFile {
    private static let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"

    /// Calls `body` with the path of a file that holds `bytes`.
    static func with<Result>(_ bytes: [UInt8], _ body: (String) -> Result) -> Result {
        var template = Array("\(directory)/livetape-fuzz-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        Invariant.check(fd >= 0, "cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        unlink(template)
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        Invariant.check(written == bytes.count, "cannot write a file in \(directory)")
        return body("/proc/self/fd/\(fd)")
    }
}
