import ArgumentParser
import Foundation
import OverdueCore
import OverdueSQLite

/// `overdue init`: creates the ledger the config names, and nothing else.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new, empty ledger at daemon.database.",
        discussion: """
            Other commands create no ledger, except `import` and `invoice add` (the first invoices) and \
            `run` in an empty folder (the service's first start): a missing ledger is exit 74, so a \
            deleted ledger or a typo in daemon.database is reported instead of starting over empty. \
            Refuses (73) when a ledger is already there and (74) when another file is; nothing is changed.
            """
    )
    @OptionGroup var options: ConfigOption

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let store = try openLedger(config, creating: .new)
            store.close()
            print("\(config.daemon.database): new ledger created")
        }
    }
}
