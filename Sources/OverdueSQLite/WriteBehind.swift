import Dispatch
import Synchronization

/// The statements a connection has handed to a second thread and not yet seen finish.
///
/// A large import builds its rows (and hashes their audit entries) in Swift, then SQLite
/// writes them: done one after the other, the two add up; done side by side, on two cores, the
/// import takes about as long as the longer of them. Inside `SQLiteConnection.writingBehind`,
/// `BatchInsert` hands each full batch here and goes on building the next one while SQLite
/// writes this one.
///
/// The connection (opened without SQLite's own mutex) is still used by one thread at a time:
/// every call the owning thread makes into SQLite through `SQLiteConnection` or `Statement`
/// first waits here until nothing is pending, and only a batch insert is ever handed over. The
/// statements run in the order they were handed over, so a row's client goes in before the row,
/// and the transaction commits (a call like any other) only after all of them.
///
/// A statement that fails stops the ones behind it (they are dropped, not run) and its error is
/// thrown by every call of the owner's that can throw, until the transaction's rollback (which
/// undoes them all) forgets it: no savepoint or caught error can carry the transaction on to a
/// commit without them.
final class WriteBehind: Sendable {
    /// Statements handed over and not finished: 0 means the connection is the owner's.
    private let pending = Atomic<Int>(0)
    private let failure = Mutex<(any Error)?>(nil)
    /// Whether `failure` holds one: read without the lock by every call of the owner's.
    private let failed = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "overdue.sqlite.write-behind")
    /// At most this many batches wait, so the rows waiting for SQLite stay a few batches however
    /// far ahead the building runs.
    private let room = DispatchSemaphore(value: 4)

    /// Runs `work` on the second thread after everything handed over before it. Throws the
    /// failure of earlier work, if any (that work's followers were dropped).
    func hand(_ work: @escaping @Sendable () throws -> Void) throws {
        try throwFailure()
        room.wait()
        pending.add(1, ordering: .relaxed)
        queue.async { [self] in
            defer {
                pending.subtract(1, ordering: .releasing)
                room.signal()
            }
            guard !failed.load(ordering: .acquiring) else { return }
            do {
                try work()
            } catch {
                failure.withLock { $0 = error }
                failed.store(true, ordering: .releasing)
            }
        }
    }

    /// Waits until everything handed over has run (or was dropped). Cheap when nothing is
    /// pending, which is always the case outside `writingBehind`.
    func settle() {
        if pending.load(ordering: .acquiring) != 0 { queue.sync {} }
    }

    /// `settle`, then throws the failure of handed-over work, if any.
    func drain() throws {
        settle()
        try throwFailure()
    }

    /// `settle`, forgetting any failure: after a rollback, which undid that work.
    func discard() {
        settle()
        failure.withLock { $0 = nil }
        failed.store(false, ordering: .releasing)
    }

    private func throwFailure() throws {
        guard failed.load(ordering: .acquiring), let error = failure.withLock({ $0 }) else { return }
        throw error
    }
}
