import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    /// Streams every invoice with its client and dispatch history, in invoice-number byte order
    /// (SQLite's BINARY collation), from one snapshot.
    ///
    /// Two cursors walk in step: invoices by primary key (the WITHOUT ROWID table is stored in
    /// that order) and dispatches by the `(invoice, id)` index; the merge compares numbers as
    /// UTF-8 bytes, as SQLite does. Only the clients are held in memory, so a ledger of a
    /// million invoices plans in constant memory.
    public func forEachInvoiceContext(_ body: (InvoiceContext) throws -> Void) throws {
        try reading {
            let failing = try allFailingAddresses()
            let clientCursor = try db.prepareCursor("SELECT \(Columns.client) FROM clients")
            let clients = try ClientTable {
                guard try clientCursor.step() else { return nil }
                let client = clientCursor.client()
                return client.withoutFailing(failing[client.id])
            }
            let invoices = try db.prepareCursor("SELECT \(Columns.invoice) FROM invoices ORDER BY number")
            let history = try db.prepareCursor("SELECT \(Columns.dispatchFrom) ORDER BY d.invoice, d.id")
            var currencies: [Currency] = []
            try InvoiceContext.merge(invoices: { try invoices.step() ? try invoices.invoice(path: db.path, currencies: &currencies) : nil },
                                     history: { try history.step() ? try history.dispatch(path: db.path) : nil },
                                     clients: clients, ledger: db.path, body)
        }
    }

    public func invoiceContext(_ number: String) throws -> InvoiceContext? {
        try reading { try InvoiceContext.read(number, from: primitives, ledger: db.path) }
    }

    func fetchDispatches(invoice number: String) throws -> [Dispatch] {
        let statement = try db.prepare("SELECT \(Columns.dispatchFrom) WHERE d.invoice = ? ORDER BY d.id")
        defer { statement.reset() }
        try statement.bind(.text(number))
        var list: [Dispatch] = []
        while try statement.step() { list.append(try statement.dispatch(path: db.path)) }
        return list
    }
}

extension SQLiteLedgerStore.Primitives: InvoiceContextReader {
    func dispatches(invoice: String) throws -> [Dispatch] { try store.fetchDispatches(invoice: invoice) }
    func payments(invoice: String, currency: Currency) throws -> [Payment] { try store.fetchPayments(invoice: invoice, currency: currency) }
}
