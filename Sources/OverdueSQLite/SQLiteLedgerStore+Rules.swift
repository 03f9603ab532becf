import Foundation
import OverdueCore

extension AuditAppender: AuditSink {}

extension SQLiteLedgerStore {
    /// The primitives the Core ledger rules (`FeeRules`, `OutboxRules`, `PaymentRules`,
    /// `InboundRecord.apply`) run on: this store's statements, inside the caller's write
    /// transaction (the caller holds the lock).
    struct Primitives {
        let store: SQLiteLedgerStore
        var db: SQLiteConnection { store.db }

        func invoice(_ number: String) throws -> Invoice? { try store.fetchInvoice(number) }
        func client(_ id: String) throws -> Client? { try store.fetchClient(id) }
    }

    var primitives: Primitives { Primitives(store: self) }
}
