import Foundation
import OverdueCore

/// An exclusive `flock` on `<database>.lock`, held by whichever process sends: the daemon for
/// its whole life, `overdue tick` for one tick.
///
/// The store keeps each (invoice, stage) unique, but two processes could still both pick up
/// the same queued dispatch and send it; the lock rules that out. The kernel drops it when the
/// holder dies, even by SIGKILL, so a crash never leaves it stale.
public final class ProcessLock {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock or throws 75 (temporary failure) naming the lock file.
    public init(database: String) throws {
        let path = database + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OverdueError(.cannotCreate, "\(path): cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another overdue (daemon or tick) is sending" : String(cString: strerror(errno))
            close(fd)
            throw OverdueError(.tempFailure, "\(path): \(reason); try again later")
        }
        self.descriptor = fd
        self.path = path
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
