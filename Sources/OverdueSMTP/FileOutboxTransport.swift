import Foundation
import OverdueCore

/// Writes each message as an `.eml` file into a folder instead of sending it: for the demo,
/// and for users who want to read what would go out before trusting it to a server.
///
/// A file appears whole or not at all (written to a hidden temporary name, fsynced, renamed,
/// and the folder fsynced), so a reader polling the folder never sees half a message.
public final class FileOutboxTransport: MailTransport {
    public let folder: String
    private let clock: any WallClock

    /// Creates the folder (and its parents) if it is missing, like a queue directory.
    public init(folder: String, clock: any WallClock = SystemClock()) {
        self.folder = folder
        self.clock = clock
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
    }

    public func send(_ message: OutgoingMessage) -> DeliveryResult {
        let name = "\(FileOutboxTransport.stamp(clock.now()))-\(FileOutboxTransport.digest(of: message.messageID)).eml"
        let path = (folder as NSString).appendingPathComponent(name)
        do {
            try writeFileAtomically(message.data, to: path, folder: folder)
            return .delivered(reply: "250 written to \(path)")
        } catch {
            // A missing or read-only folder will not fix itself between retries.
            return .permanent(code: nil, reply: "cannot write \(path): \(error.reason)")
        }
    }

    public func close() {}

    /// `20260301T090003Z`: sorts in sending order.
    static func stamp(_ instant: Date) -> String {
        formatTimestamp(instant).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    /// The Message-ID's local part, reduced to characters safe in a file name.
    static func digest(of messageID: String) -> String {
        let local = messageID.split(separator: "@").first.map(String.init) ?? messageID
        let safe = local.unicodeScalars.filter { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
        return String(String.UnicodeScalarView(safe.prefix(32)))
    }
}

/// Writes `bytes` to a hidden temporary file in `folder`, fsyncs it, renames it to `path` and
/// fsyncs the folder: after a crash the file is either whole or absent.
func writeFileAtomically(_ bytes: [UInt8], to path: String, folder: String) throws(FileReadError) {
    let temporary = (folder as NSString).appendingPathComponent(".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
    func fail(_ what: String) -> FileReadError { FileReadError(reason: "\(what): \(String(cString: strerror(errno)))") }
    // Messages hold client data: readable by overdue's user only.
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw fail("create") }
    var written = 0
    while written < bytes.count {
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if count < 0 {
            if errno == EINTR { continue }
            let error = fail("write")
            close(fd)
            unlink(temporary)
            throw error
        }
        written += count
    }
    guard fsync(fd) == 0 else {
        let error = fail("fsync")
        close(fd)
        unlink(temporary)
        throw error
    }
    close(fd)
    guard rename(temporary, path) == 0 else {
        let error = fail("rename")
        unlink(temporary)
        throw error
    }
    let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dir >= 0 {
        fsync(dir)
        close(dir)
    }
}
