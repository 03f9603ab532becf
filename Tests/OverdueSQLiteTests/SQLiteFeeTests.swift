import Foundation
import OverdueCore
@testable import OverdueSQLite
import XCTest

/// Fees are debts: charged when their message is sent, payable, waivable, audited, and
/// migrated from a version 1 ledger whose messages stated them.
final class SQLiteFeeTests: LedgerTestCase {
    private func queueWithFee(_ store: SQLiteLedgerStore, _ invoice: String, _ stage: String, fee: Int64) throws -> Int64 {
        var item = newDispatch(invoice, stage)
        item.feeMinorUnits = fee
        return try store.queue([item], context: context())[0].id
    }

    private func send(_ store: SQLiteLedgerStore, _ id: Int64, _ outcome: DispatchOutcome, messageID: String = "<m@x>") throws {
        try store.markSending([id], messageID: messageID, recipients: ["ap@acme.example"], context: context())
        try store.recordOutcome([id], outcome, context: context(60))
    }

    private func details(_ store: SQLiteLedgerStore, _ event: String) throws -> [String] {
        var list: [String] = []
        try store.auditEntries(AuditFilter(event: event)) { list.append($0.detailsJSON) }
        return list
    }

    func testASentMessageChargesTheFeeItStatedOnceAuditedInTheSameTransaction() throws {
        var store: SQLiteLedgerStore? = try openStore()
        _ = try store!.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let id = try queueWithFee(store!, "INV-1", "firm", fee: 1500)
        XCTAssertEqual(try store!.invoice("INV-1")?.fees, money(0), "queued is not charged")
        try send(store!, id, .sent(reply: "250 ok"))
        // Recording the same outcome again (a replayed batch) is refused by the lifecycle and charges nothing more.
        XCTAssertThrowsError(try store!.recordOutcomes([RecordedOutcome(dispatchIDs: [id], .sent(reply: "250 ok"))], unsent: [],
                                                       context: context(61)))
        store = nil

        let reopened = try openStore()
        let invoice = try XCTUnwrap(reopened.invoice("INV-1"))
        XCTAssertEqual(invoice.fees, money(1500))
        XCTAssertEqual(invoice.balance, money(121_500))
        XCTAssertEqual(try reopened.fees(invoice: "INV-1").map(\.stage), ["firm"])
        XCTAssertEqual(try reopened.fees(invoice: "INV-1").first?.chargedAt, t0.addingTimeInterval(60))
        XCTAssertEqual(try details(reopened, "invoice.fee_charged"), [#"{"amount":"15.00","currency":"EUR","balance":"1215.00"}"#])
        XCTAssertNil(try reopened.verifyAudit())
    }

    func testFailedRetryingWithdrawnAndUnsentMessagesChargeNothing() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1"), row("INV-2"), row("INV-3"), row("INV-4")], source: "a.csv", context: context())
        try send(store, try queueWithFee(store, "INV-1", "firm", fee: 1500), .failed(reply: "550 no such user"), messageID: "<1@x>")
        try send(store, try queueWithFee(store, "INV-2", "firm", fee: 1500), .retry(at: t0.addingTimeInterval(600), reply: "451 later"),
                 messageID: "<2@x>")
        try send(store, try queueWithFee(store, "INV-3", "firm", fee: 1500), .failed(reply: "withdrawn: the invoice is paid"),
                 messageID: "<3@x>")
        let unsentID = try queueWithFee(store, "INV-4", "firm", fee: 1500)
        let before = try store.dispatches(in: [.queued])
        try store.markSending([unsentID], messageID: "<4@x>", recipients: ["ap@acme.example"], context: context())
        try store.recordOutcomes([], unsent: before, context: context())

        XCTAssertEqual(try store.invoices(status: nil, clientID: nil).map(\.fees), Array(repeating: money(0), count: 4))
        XCTAssertEqual(try store.connection.scalarInt("SELECT count(*) FROM fees"), 0)
        XCTAssertEqual(try details(store, "invoice.fee_charged"), [])
    }

    func testAnAmbiguousDispatchResolvedAsSentIsChargedAndOneReleasedIsNot() throws {
        var store: SQLiteLedgerStore? = try openStore()
        _ = try store!.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        let first = try queueWithFee(store!, "INV-1", "firm", fee: 1500)
        let second = try queueWithFee(store!, "INV-2", "firm", fee: 1500)
        try store!.markSending([first], messageID: "<1@x>", recipients: ["ap@acme.example"], context: context())
        try store!.markSending([second], messageID: "<2@x>", recipients: ["ap@acme.example"], context: context())
        store = nil

        let restarted = try openStore()
        _ = try restarted.markInterruptedAsAmbiguous(context: context(120))
        try restarted.resolveAmbiguous(invoice: "INV-1", stage: "firm", sent: true, context: context(180))
        try restarted.resolveAmbiguous(invoice: "INV-2", stage: "firm", sent: false, context: context(180))
        XCTAssertEqual(try restarted.invoice("INV-1")?.balance, money(121_500))
        XCTAssertEqual(try restarted.invoice("INV-2")?.balance, money(120_000))
        XCTAssertEqual(try auditEvents(restarted, AuditFilter(invoice: "INV-1")).suffix(2), ["reminder.resolved", "invoice.fee_charged"])
    }

    func testAPaymentUpToTheBalanceWithFeesIsAcceptedAndPaysTheInvoice() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1", amount: 85_000)], source: "a.csv", context: context())
        try send(store, try queueWithFee(store, "INV-1", "firm", fee: 1500), .sent(reply: "250 ok"))
        assertFails(.dataError) { _ = try store.recordPayment(invoice: "INV-1", amount: money(86_501), on: LocalDate("2026-03-02")!,
                                                              context: context()) }
        let partial = try store.recordPayment(invoice: "INV-1", amount: money(85_000), on: LocalDate("2026-03-02")!, context: context())
        XCTAssertEqual(partial.status, .open, "the fee is still owed")
        XCTAssertEqual(partial.balance, money(1500))
        let paid = try store.recordPayment(invoice: "INV-1", amount: money(1500), on: LocalDate("2026-03-03")!, context: context())
        XCTAssertEqual(paid.status, .paid)
        XCTAssertEqual(paid.balance, money(0))
    }

    func testWaivingRemovesTheChargedFeesAndAnInvoiceOwingNothingBecomesPaid() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1", amount: 85_000), row("INV-2")], source: "a.csv", context: context())
        try send(store, try queueWithFee(store, "INV-1", "firm", fee: 1500), .sent(reply: "250 ok"), messageID: "<1@x>")
        try send(store, try queueWithFee(store, "INV-1", "final", fee: 4000), .sent(reply: "250 ok"), messageID: "<2@x>")
        _ = try store.recordPayment(invoice: "INV-1", amount: money(85_000), on: LocalDate("2026-03-02")!, context: context())

        let (waived, after) = try store.waiveFees(invoice: "INV-1", reason: "goodwill", context: context(300))
        XCTAssertEqual(waived, money(5500))
        XCTAssertEqual(after.status, .paid)
        XCTAssertEqual(try store.invoice("INV-1")?.balance, money(0))
        XCTAssertEqual(try store.invoice("INV-1")?.status, .paid)
        XCTAssertEqual(try store.fees(invoice: "INV-1").map(\.waiveReason), ["goodwill", "goodwill"])
        XCTAssertEqual(try store.fees(invoice: "INV-1").map(\.waivedAt), [t0.addingTimeInterval(300), t0.addingTimeInterval(300)])
        XCTAssertEqual(try details(store, "invoice.fee_waived"), [
            #"{"amount":"55.00","currency":"EUR","stages":["firm","final"],"reason":"goodwill","balance":"0.00","status":{"from":"open","to":"paid"}}"#,
        ])
        XCTAssertEqual(assertFails(.dataError) { _ = try store.waiveFees(invoice: "INV-1", reason: nil, context: context()) },
                       "invoice INV-1: has no charged fees to waive")
        assertFails(.dataError) { _ = try store.waiveFees(invoice: "INV-2", reason: nil, context: context()) }
        assertFails(.dataError) { _ = try store.waiveFees(invoice: "GHOST", reason: nil, context: context()) }
    }

    func testAFeeChargedToAnInvoicePaidWhileItsMessageWasOnTheWireReopensIt() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1", amount: 85_000)], source: "a.csv", context: context())
        let id = try queueWithFee(store, "INV-1", "firm", fee: 1500)
        try store.markSending([id], messageID: "<1@x>", recipients: ["ap@acme.example"], context: context())
        _ = try store.recordPayment(invoice: "INV-1", amount: money(85_000), on: LocalDate("2026-03-02")!, context: context())
        try store.recordOutcome([id], .sent(reply: "250 ok"), context: context(60))
        let invoice = try XCTUnwrap(store.invoice("INV-1"))
        XCTAssertEqual(invoice.status, .open)
        XCTAssertEqual(invoice.balance, money(1500))
    }

    func testTheSubjectStoredWithADispatchIsReadBack() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let id = try store.queue([newDispatch("INV-1", "firm")], context: context())[0].id
        XCTAssertNil(try store.dispatches(in: [.queued]).first?.subject)
        try store.connection.execute("UPDATE dispatches SET subject = 'Invoice INV-1 is overdue' WHERE id = \(id)")
        XCTAssertEqual(try store.invoiceContext("INV-1")?.dispatches.first?.subject, "Invoice INV-1 is overdue")
    }

    /// A version 1 ledger: its messages stated fees the ledger never held.
    private func makeVersion1Ledger() throws {
        let db = try SQLiteConnection(path: dbPath)
        try db.execute(Schema.migrations[0])
        try db.execute("""
            PRAGMA user_version = 1;
            INSERT INTO clients (id, name, emails, created_at, updated_at) VALUES ('acme', 'Acme', 'ap@acme.example', 0, 0);
            INSERT INTO invoices (number, client_id, issue_date, due_date, currency, amount_minor, paid_recorded_minor, status,
                created_at, updated_at) VALUES
                ('INV-OPEN', 'acme', '2026-01-01', '2026-01-31', 'GBP', 85000, 0, 'open', 0, 0),
                ('INV-PAID', 'acme', '2026-01-01', '2026-01-31', 'GBP', 85000, 85000, 'paid', 0, 0),
                ('INV-FAIL', 'acme', '2026-01-01', '2026-01-31', 'JPY', 120000, 0, 'open', 0, 0);
            INSERT INTO messages (id, message_id, recipients, state, attempts, created_at, updated_at) VALUES
                (1, '<1@x>', 'ap@acme.example', 'sent', 1, 100, 1772355600),
                (2, '<2@x>', 'ap@acme.example', 'sent', 1, 100, 1772355700),
                (3, '<3@x>', 'ap@acme.example', 'failed', 1, 100, 1772355800);
            INSERT INTO dispatches (id, invoice, stage, action, local_date, queued_at, state, recipients, fee_minor, message) VALUES
                (1, 'INV-OPEN', 'courtesy', 'email', '2026-02-01', 50, 'sent', 'ap@acme.example', 0, NULL),
                (2, 'INV-OPEN', 'firm', 'email', '2026-03-01', 100, 'sent', 'ap@acme.example', 1500, 1),
                (3, 'INV-PAID', 'firm', 'email', '2026-03-01', 100, 'sent', 'ap@acme.example', 1500, 2),
                (4, 'INV-FAIL', 'firm', 'email', '2026-03-01', 100, 'failed', 'ap@acme.example', 15, 3);
            """)
    }

    func testAVersion1LedgerTurnsFeesStatedBySentMessagesIntoChargesAuditedOnce() throws {
        try makeVersion1Ledger()
        var store: SQLiteLedgerStore? = try openStore()
        XCTAssertEqual(try store!.schemaVersion(), Int64(Schema.migrations.count))
        let open = try XCTUnwrap(store!.invoice("INV-OPEN"))
        XCTAssertEqual(open.fees.decimalString, "15.00")
        XCTAssertEqual(open.balance.decimalString, "865.00")
        XCTAssertEqual(try store!.fees(invoice: "INV-OPEN").first?.chargedAt, t0, "dated when the send was recorded")
        // Paid before fees were kept: the stated fee is on record, waived, and the invoice stays settled.
        let paid = try XCTUnwrap(store!.invoice("INV-PAID"))
        XCTAssertEqual(paid.status, .paid)
        XCTAssertEqual(paid.balance.decimalString, "0.00")
        XCTAssertNotNil(try store!.fees(invoice: "INV-PAID").first?.waivedAt)
        XCTAssertEqual(try store!.invoice("INV-FAIL")?.balance.decimalString, "120000", "a failed message charged nothing")
        XCTAssertNil(try store!.meta(SQLiteLedgerStore.feeMigrationKey))
        store = nil

        let reopened = try openStore()
        var entries: [AuditEntry] = []
        try reopened.auditEntries(AuditFilter(event: "invoice")) { if $0.event.hasPrefix("invoice.fee") { entries.append($0) } }
        XCTAssertEqual(entries.map(\.event), ["invoice.fee_charged", "invoice.fee_charged", "invoice.fee_waived"])
        XCTAssertEqual(entries.map(\.invoice), ["INV-OPEN", "INV-PAID", "INV-PAID"])
        XCTAssertEqual(entries.first?.detailsJSON,
                       #"{"amount":"15.00","currency":"GBP","charged_at":"2026-03-01T09:00:00Z","migrated":true}"#)
        XCTAssertNil(try reopened.verifyAudit())
        // Charged through the migration, the fee is not charged again by a later outcome (which the lifecycle refuses).
        XCTAssertThrowsError(try reopened.recordOutcome([2], .sent(reply: "250 ok"), context: context()))
        XCTAssertEqual(try reopened.invoice("INV-OPEN")?.balance.decimalString, "865.00")
    }
}
