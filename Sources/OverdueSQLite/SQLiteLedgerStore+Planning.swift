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
            var clients: [String: Client] = [:]
            let failing = try allFailingAddresses()
            clients.reserveCapacity(try db.scalarInt("SELECT count(*) FROM clients").map(Int.init) ?? 0)
            let clientCursor = try db.prepareCursor("SELECT \(Columns.client) FROM clients")
            while try clientCursor.step() {
                let client = clientCursor.client()
                clients[client.id] = client.withoutFailing(failing[client.id])
            }
            let invoices = try db.prepareCursor("SELECT \(Columns.invoice) FROM invoices ORDER BY number")
            let history = try db.prepareCursor("SELECT \(Columns.dispatchFrom) ORDER BY d.invoice, d.id")
            var currencies: [Currency] = []
            var pending: Dispatch? = try history.step() ? try history.dispatch(path: db.path) : nil
            while try invoices.step() {
                let invoice = try invoices.invoice(path: db.path, currencies: &currencies)
                guard let client = clients[invoice.clientID] else {
                    throw OverdueError(.ioError, "\(db.path): invoice \(invoice.number): client \(invoice.clientID) is missing")
                }
                var dispatches: [Dispatch] = []
                while let next = pending, !invoice.number.utf8.lexicographicallyPrecedes(next.invoiceNumber.utf8) {
                    if next.invoiceNumber == invoice.number { dispatches.append(next) }
                    pending = try history.step() ? try history.dispatch(path: db.path) : nil
                }
                try body(InvoiceContext(invoice: invoice, client: client, dispatches: dispatches))
            }
        }
    }

    public func invoiceContext(_ number: String) throws -> InvoiceContext? {
        try reading {
            guard let invoice = try fetchInvoice(number) else { return nil }
            guard let client = try fetchClient(invoice.clientID) else {
                throw OverdueError(.ioError, "\(db.path): invoice \(number): client \(invoice.clientID) is missing")
            }
            var context = InvoiceContext(invoice: invoice, client: client.withoutFailing(try failingAddresses(client: client.id)),
                                         dispatches: try fetchDispatches(invoice: number))
            context.payments = try fetchPayments(invoice: number, currency: invoice.currency)
            return context
        }
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
