import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    public func client(_ id: String) throws -> Client? {
        try locked { try fetchClient(id) }
    }

    /// Every client, ordered by id (byte order).
    public func clients() throws -> [Client] {
        try reading {
            let cursor = try db.prepareCursor("SELECT \(Columns.client) FROM clients ORDER BY id")
            var list: [Client] = []
            while try cursor.step() { list.append(cursor.client()) }
            return list
        }
    }

    /// `StatusRules.setClientHold`, in one transaction.
    public func setClientHold(_ id: String, onHold: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            try StatusRules.setClientHold(id, onHold: onHold, reason: reason, in: primitives, audit: &audit, context: context)
        }
    }

    /// `StatusRules.setClientBlocked`, in one transaction.
    public func setClientBlocked(_ id: String, blocked: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            try StatusRules.setClientBlocked(id, blocked: blocked, reason: reason, in: primitives, audit: &audit, context: context)
        }
    }

    func fetchClient(_ id: String) throws -> Client? {
        let statement = try db.prepare("SELECT \(Columns.client) FROM clients WHERE id = ?")
        defer { statement.reset() }
        return try statement.bind(.text(id)).step() ? statement.client() : nil
    }
}
