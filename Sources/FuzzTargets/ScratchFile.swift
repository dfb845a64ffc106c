#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A file for the readers that take a path, rewritten with each input: unlinked as soon as it
/// is made (so that it goes with the process) and reached through `/proc/self/fd`, in shared
/// memory where there is some.
enum ScratchFile {
    private static let descriptor: Int32 = {
        let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let name = "\(directory)/livetape-fuzz-\(getpid())"
        let fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        Invariant.check(fd >= 0, "cannot create \(name): \(String(cString: strerror(errno)))")
        unlink(name)
        return fd
    }()

    /// Replaces the file's content with `bytes`; returns its path.
    static func write(_ bytes: [UInt8]) -> String {
        Invariant.check(ftruncate(descriptor, 0) == 0, "cannot truncate the scratch file")
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        Invariant.check(written == bytes.count, "cannot write the scratch file")
        return "/proc/self/fd/\(descriptor)"
    }
}
