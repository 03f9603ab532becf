import Foundation

/// Why a file could not be read or written: the OS's reason (`Permission denied`, `No such file
/// or directory`), never the file's content, which may be a secret.
public struct FileReadError: Error, Sendable {
    public let reason: String
    /// The disk was full: it may have room by the next attempt.
    public var temporary = false

    public init(reason: String, temporary: Bool = false) {
        self.reason = reason
        self.temporary = temporary
    }
}

/// The whole of a small file (a secret, a payment export), read with `read(2)`: the one
/// whole-file reader of the edges, so every caller gets the same EINTR handling and the OS's
/// reason on failure, which it words for its own exit code.
public func readWholeFile(_ path: String) throws(FileReadError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileReadError(reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw FileReadError(reason: String(cString: strerror(errno)))
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: block[..<count])
    }
}
