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

/// A file read from start to end with `read(2)`, a block at a time (a CSV import streams it);
/// closed when the last reader lets go of it. The one reader of the edges, so every caller gets
/// the same EINTR handling and the OS's reason on failure, which it words for its own exit code.
public final class ReadableFile {
    private let fd: Int32

    public init(_ path: String) throws(FileReadError) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(reason: String(cString: strerror(errno))) }
    }

    deinit { close(fd) }

    /// The next bytes into `buffer`; 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw FileReadError(reason: String(cString: strerror(errno))) }
        }
    }
}

/// The whole of a small file (a secret, a payment export).
public func readWholeFile(_ path: String) throws(FileReadError) -> [UInt8] {
    let file = try ReadableFile(path)
    var bytes: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        // withUnsafeMutableBytes rethrows untyped: carry the typed error out in a Result.
        let count = try block.withUnsafeMutableBytes { buffer in
            Result { () throws(FileReadError) -> Int in try file.read(into: buffer) }
        }.get()
        if count == 0 { return bytes }
        bytes.append(contentsOf: block[..<count])
    }
}
