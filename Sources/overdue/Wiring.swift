import ArgumentParser
import Foundation
import OverdueCore
import OverduePostgres
import OverdueSMTP
import OverdueSQLite

/// `--as-of T`: a date (12:00 that day in daemon.timezone) or an RFC 3339 date-time with offset.
struct AsOfOption: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Behave as if the clock read T (YYYY-MM-DD or RFC 3339 with offset).", valueName: "T"))
    var asOf: String?

    /// The instant the command runs at, and the change context for anything it records.
    func context(in config: Config, clock: any WallClock = commandClock) throws -> ChangeContext {
        let now = clock.now()
        guard let asOf else { return ChangeContext(at: now) }
        switch checkAsOf(asOf, zone: config.daemon.timezone) {
        case .success(let instant): return ChangeContext(at: now, asOf: instant)
        case .failure(let problem): throw OverdueError.usage("--as-of: \(problem)")
        }
    }
}

/// The clock every command reads the time from (`--as-of` is applied on top of it).
let commandClock: any WallClock = SystemClock()

/// Loads and validates the config named by `--config` / `$OVERDUE_CONFIG` / the default.
func loadConfig(_ option: ConfigOption) throws -> Config {
    try ConfigLoader.load(path: option.path)
}

/// Opens (migrating if needed) the ledger the config names. Only the commands where the owner
/// asks for a ledger may create one (see `SQLiteLedgerStore.Creation`); for every other one a
/// missing ledger is 74, never a new empty ledger whose next tick re-sends everything.
func openLedger(_ config: Config, creating: SQLiteLedgerStore.Creation = .never) throws -> any LedgerStore {
    if PostgresLedgerStore.handles(config.daemon.database) {
        return try openPostgresLedger(config.daemon.database, password: config.daemon.databasePassword, creating: creating)
    }
    let store = try SQLiteLedgerStore(path: config.daemon.database, creating: creating, clock: commandClock)
    try store.normalizeIdentifiers()
    return store
}

/// The PostgreSQL ledger at `url`; `password` read under the secret rules of `[smtp]`. The
/// service's first start (`.onFirstStart`) may create the schema in an empty database: the
/// database itself is the owner's to create, so it cannot be a typo's new empty ledger.
func openPostgresLedger(_ url: String, password: SMTPSettings.Secret?,
                        creating: SQLiteLedgerStore.Creation) throws -> PostgresLedgerStore {
    let secret = try password.map { try readPassword($0, key: "daemon.password_file") }
    let mode: PostgresLedgerStore.Creation = switch creating {
    case .never: .never
    case .ifMissing, .onFirstStart: .ifMissing
    case .new: .new
    }
    return try PostgresLedgerStore(url: url, password: secret, creating: mode, clock: commandClock)
}

/// Refuses (exit 78) a config that drops a stage name the ledger has dispatches for, unless a
/// stage lists it in `renamed_from`. Run before anything plans or sends with `config`.
func checkStageHistory(_ config: Config, _ store: any PlanningSource) throws {
    let text = try? String(contentsOfFile: config.path, encoding: .utf8)
    try config.checkStagesAccountedFor(try store.dispatchedStageNames(), configText: text, ledger: config.daemon.database)
}

/// The context for a change made now (no `--as-of`).
func changeNow() -> ChangeContext { ChangeContext(at: commandClock.now()) }

/// The body of every command that makes one change: open the ledger the config names, apply
/// the change (one transaction, audited by the store), print `done`.
func applyChange(_ options: ConfigOption, _ done: @autoclosure () -> String,
                 _ change: (any LedgerStore, ChangeContext) throws -> Void) throws {
    try runReportingErrors {
        let store = try openLedger(try loadConfig(options))
        defer { store.close() }
        try change(store, changeNow())
        print(done())
    }
}
