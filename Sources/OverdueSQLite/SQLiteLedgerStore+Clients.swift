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

    /// Holds or releases every invoice of a client (`client.held` / `client.released`).
    /// Asking for the state it is already in, with the same reason, changes and records nothing.
    public func setClientHold(_ id: String, onHold: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            guard let client = try fetchClient(id) else { throw clientNotFound(id) }
            let newReason = onHold ? reason : nil
            // Releasing a client is the owner saying its addresses are worth trying again.
            if !onHold { try db.prepare("DELETE FROM failing_addresses WHERE client_id = ?").bind(.text(id)).run() }
            if client.onHold == onHold, client.holdReason == newReason { return }
            try db.prepare("UPDATE clients SET hold = ?, hold_reason = ?, updated_at = ? WHERE id = ?")
                .bind(.bool(onHold), .optional(newReason), .int(storedSeconds(context.at)), .text(id)).run()
            try audit.append(AuditRecord(onHold ? .clientHeld : .clientReleased, client: id, details: [("reason", .optional(reason))]))
        }
    }

    /// Blocks a client for good (never reminded again; `client.blocked`) or lifts it
    /// (`client.unblocked`). Same state and reason: nothing changes or is recorded.
    public func setClientBlocked(_ id: String, blocked: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            guard let client = try fetchClient(id) else { throw clientNotFound(id) }
            let newReason = blocked ? reason : nil
            if client.blocked == blocked, client.blockReason == newReason { return }
            try db.prepare("UPDATE clients SET blocked = ?, block_reason = ?, updated_at = ? WHERE id = ?")
                .bind(.bool(blocked), .optional(newReason), .int(storedSeconds(context.at)), .text(id)).run()
            try audit.append(AuditRecord(blocked ? .clientBlocked : .clientUnblocked, client: id, details: [("reason", .optional(reason))]))
        }
    }

    func fetchClient(_ id: String) throws -> Client? {
        let statement = try db.prepare("SELECT \(Columns.client) FROM clients WHERE id = ?")
        defer { statement.reset() }
        return try statement.bind(.text(id)).step() ? statement.client() : nil
    }

    func clientNotFound(_ id: String) -> OverdueError {
        OverdueError(.dataError, "client \(id): not found")
    }
}
