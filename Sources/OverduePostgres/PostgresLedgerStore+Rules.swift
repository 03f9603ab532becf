import Foundation
import OverdueCore

extension PGAuditAppender: AuditSink {}

extension PostgresLedgerStore {
    /// The primitives the Core ledger rules (`FeeRules`, `OutboxRules`, `PaymentRules`,
    /// `InboundRecord.apply`) run on: this store's statements, inside the caller's write
    /// transaction.
    struct Primitives {
        let store: PostgresLedgerStore
        var db: PGConnection { store.db }

        func invoice(_ number: String) throws -> Invoice? { try store.fetchInvoice(number) }
        func client(_ id: String) throws -> Client? { try store.fetchClient(id) }
    }

    var primitives: Primitives { Primitives(store: self) }
}
