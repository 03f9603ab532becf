import Foundation
import OverdueCore

/// The ledger's database file as one open descriptor: what "this ledger" means to the process.
///
/// Its device and inode, and those of the write-ahead log and shared-memory index beside it,
/// are what `checkStillOnDisk` compares with the paths; the sender lock is a `flock` on this
/// descriptor, so it belongs to the file itself whatever path (symlink, `..`, hard link) reached
/// it, and no lock file can be deleted from under it. `flock` locks are separate from the
/// POSIX locks SQLite takes on the same file, so neither disturbs the other.
final class LedgerFile {
    let path: String
    private var descriptor: Int32
    private let identity: FileIdentity
    /// `-wal` and `-shm`, recorded once the connection has them open (after the first read
    /// in WAL mode); SQLite keeps both for as long as the connection lives.
    private var companions: [(path: String, identity: FileIdentity)] = []

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OverdueError(.ioError, "\(path): cannot open the database file: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw OverdueError(.ioError, "\(path): cannot read the database file's status: \(reason)")
        }
        descriptor = fd
        identity = FileIdentity(info)
    }

    /// Creates the empty file a new ledger is made in: 0600 whatever the umask (a root shell's
    /// 0022 would give SQLite's 0644), since it holds client data. Made by root (the owner's
    /// `overdue import` before the service's first start), it is given to the owner of its
    /// folder, the service's account. SQLite gives `-wal` and `-shm` the database's mode, and,
    /// run as root, its owner, so those follow.
    static func createPrivate(at path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OverdueError(.cannotCreate, "\(path): cannot create the database: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var folder = stat()
        let parent = (path as NSString).deletingLastPathComponent
        if geteuid() == 0, stat(parent.isEmpty ? "." : parent, &folder) == 0, folder.st_uid != 0 || folder.st_gid != 0,
           fchown(fd, folder.st_uid, folder.st_gid) != 0 {
            throw OverdueError(.cannotCreate, "\(path): cannot give the database to the owner of its folder: \(String(cString: strerror(errno)))")
        }
        guard fchmod(fd, 0o600) == 0 else {
            throw OverdueError(.cannotCreate, "\(path): cannot make the database private (0600): \(String(cString: strerror(errno)))")
        }
    }

    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// The file's size now, as the open descriptor sees it.
    var size: Int64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int64(info.st_size) : -1
    }

    /// Records the write-ahead log and shared-memory index as they are now.
    func recordCompanions() {
        companions = ["-wal", "-shm"].compactMap { suffix in
            FileIdentity(path: path + suffix).map { (path + suffix, $0) }
        }
    }

    func checkStillOnDisk() throws {
        guard let current = FileIdentity(path: path) else {
            throw OverdueError(.ioError, "\(path): the database file was deleted while overdue had it open; stopping so nothing more is recorded where no one will read it")
        }
        guard current == identity else {
            throw OverdueError(.ioError, "\(path): the database file was replaced while overdue had it open; stopping so nothing more is recorded where no one will read it")
        }
        for companion in companions where FileIdentity(path: companion.path) != companion.identity {
            throw OverdueError(.ioError, "\(companion.path): the database's \(companion.path.hasSuffix("-wal") ? "write-ahead log" : "shared-memory index") was deleted or replaced while overdue had it open; stopping (closing the database writes back what this process recorded)")
        }
    }

    /// Takes the sender lock: an exclusive `flock` on this file, or 75 when another process
    /// (daemon or tick, through any path to this file) holds it. Released when the file closes
    /// or the process dies, even by SIGKILL, so it is never left stale.
    func lockForSending() throws {
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another overdue (daemon or tick) is sending from this ledger" : String(cString: strerror(errno))
            throw OverdueError(.tempFailure, "\(path): \(reason); try again later")
        }
    }
}

/// A file's device and inode: the same pair means the same file, whatever the path.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The identity of the file at `path` now; nil when there is none.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }
}

/// What to say when a write of ours ran out of space: which file system, and how much is left.
public enum DiskSpace {
    public static func fullMessage(writing path: String, errno code: Int32) -> String {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        if code == EFBIG { return "the file size limit was reached writing \(path)" }
        var info = statvfs()
        let free = statvfs(folder, &info) == 0 ? " (\(UInt64(info.f_bavail) * UInt64(info.f_frsize)) bytes free)" : ""
        return "the disk is full: no space left on the file system holding \(folder)\(free)"
    }
}
