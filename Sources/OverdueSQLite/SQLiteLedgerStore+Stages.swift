import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    /// Every stage name the ledger has dispatches for (any state), for checking that a config
    /// still accounts for each (`Config.checkStagesAccountedFor`).
    public func dispatchedStageNames() throws -> Set<String> {
        try reading {
            let cursor = try db.prepareCursor("SELECT DISTINCT stage FROM dispatches")
            var names: Set<String> = []
            while try cursor.step() { names.insert(cursor.text(0)) }
            return names
        }
    }
}
