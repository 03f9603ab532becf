import ArgumentParser
import Foundation
import OverdueCore
import OverduePostgres
import OverdueSQLite

/// `overdue ledger copy SRC DST`: a ledger moved between SQLite and PostgreSQL, whole.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Copy a ledger between SQLite and PostgreSQL.",
        subcommands: [Copy.self]
    )

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy every row of a ledger into a new, empty one.",
            discussion: """
                SRC and DST are each a SQLite ledger's path or a postgresql:// URL (its password from \
                libpq's PGPASSFILE or service file). Every client, invoice, payment, fee, dispatch, \
                message, meta entry and audit entry is copied as stored, in one transaction on DST: \
                ids, audit sequence numbers and hashes unchanged, so `audit verify` passes on the copy, \
                which is checked before this reports success. DST must be new: a SQLite path where no \
                file is, or a PostgreSQL database whose ledger is empty (created when it has none); \
                otherwise exit 73 and nothing is changed. Stop the daemons writing SRC first.
                """
        )
        @Argument(help: ArgumentHelp("The ledger to copy (a path or a postgresql:// URL).", valueName: "SRC"))
        var source: String
        @Argument(help: ArgumentHelp("The new ledger (a path or a postgresql:// URL).", valueName: "DST"))
        var destination: String

        func run() throws {
            try runReportingErrors {
                let from = try open(source, creating: false)
                defer { from.close() }
                let to = try open(destination, creating: true)
                defer { to.close() }
                let counts = try LedgerCopy.copy(from: from.source, to: to.destination)
                if let broken = try to.store.verifyAudit() {
                    throw OverdueError.io("\(destination): audit trail of the copy broken at seq \(broken.seq): \(broken.problem)")
                }
                let audit = counts.first { $0.0 == "audit" }?.1 ?? 0
                print("\(destination): copied from \(source): "
                    + counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ") + "; audit trail intact: \(audit) entries")
            }
        }

        private struct Opened {
            var store: any LedgerStore
            var source: any LedgerCopySource
            var destination: any LedgerCopyDestination
            func close() { store.close() }
        }

        private func open(_ place: String, creating: Bool) throws -> Opened {
            if PostgresLedgerStore.handles(place) {
                let store = try PostgresLedgerStore(url: place, creating: creating ? .ifMissing : .never, clock: commandClock)
                return Opened(store: store, source: store, destination: store)
            }
            let store = try SQLiteLedgerStore(path: place, creating: creating ? .new : .never, clock: commandClock)
            return Opened(store: store, source: store, destination: store)
        }
    }
}
