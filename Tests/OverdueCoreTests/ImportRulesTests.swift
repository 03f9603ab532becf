import OverdueCore
import XCTest

/// The rules of an imported row that both stores run: the status it leaves, what a row for a
/// known invoice or client changes and how the trail states it, and a new invoice's details.
final class ImportRulesTests: XCTestCase {
    private let eur = Currency(code: "EUR")!
    private let jpy = Currency(code: "JPY")!

    private func invoice(_ status: InvoiceStatus = .open, amount: Int64 = 120_000, paid: Int64 = 0, due: String = "2026-01-31",
                         currency: Currency? = nil) -> Invoice {
        let currency = currency ?? eur
        return Invoice(number: "INV-7", clientID: "acme", issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate(due)!,
                       amount: Money(minorUnits: amount, currency: currency), paid: Money(minorUnits: paid, currency: currency),
                       status: status)
    }

    func testAFileMayCloseAnInvoiceButNeverReopensOrUndoesAnEscalation() {
        XCTAssertEqual(ImportRules.resolvedStatus(csv: .paid, ledger: .open), .paid)
        XCTAssertEqual(ImportRules.resolvedStatus(csv: .cancelled, ledger: .escalated), .cancelled)
        XCTAssertEqual(ImportRules.resolvedStatus(csv: .open, ledger: .escalated), .escalated)
        XCTAssertEqual(ImportRules.resolvedStatus(csv: .open, ledger: .writtenOff), .writtenOff)
        XCTAssertEqual(ImportRules.resolvedStatus(csv: .open, ledger: .paid), .paid)
    }

    func testANewInvoiceIsCountedAndWarnedOfOnlyWhenItsClientIsBlocked() {
        var summary = ImportSummary()
        ImportRules.countInserted(invoice(), blockedClients: [], in: &summary)
        ImportRules.countInserted(invoice(), blockedClients: ["other"], in: &summary)
        XCTAssertEqual(summary, ImportSummary(inserted: 2))
        ImportRules.countInserted(invoice(), blockedClients: ["acme"], in: &summary)
        XCTAssertEqual(summary.inserted, 3)
        XCTAssertEqual(summary.warnings, ["warning: client acme is blocked; invoice INV-7 imported but will never be reminded"])
    }

    func testARowThatChangesNothingIsNoUpdate() {
        XCTAssertNil(ImportRules.update(invoice(), over: StoredImportedInvoice(invoice()), origin: ("a.csv", 2)))
        // "open" in the file over an escalated invoice changes nothing either.
        var escalated = StoredImportedInvoice(invoice())
        escalated.status = "escalated"
        XCTAssertNil(ImportRules.update(invoice(), over: escalated, origin: nil))
    }

    func testAnUpdateNamesEachChangeFromToInTheOldCurrencysDigitsAndKeepsALedgerOnlyStatus() throws {
        var old = StoredImportedInvoice(invoice())
        old.status = "escalated"
        old.amountMinor = 100_000
        let (stored, record) = try XCTUnwrap(ImportRules.update(invoice(.paid, paid: 120_000, due: "2026-02-28"), over: old,
                                                                origin: ("b.csv", 9)))
        XCTAssertEqual(stored.status, "paid")
        XCTAssertEqual(stored.dueDate, "2026-02-28")
        XCTAssertEqual(record.event, .invoiceUpdated)
        XCTAssertEqual(record.invoice, "INV-7")
        XCTAssertEqual(record.client, "acme")
        XCTAssertEqual(JSONValue.object(record.details).serialized,
                       #"{"source":"b.csv","line":9,"changes":{"due_date":{"from":"2026-01-31","to":"2026-02-28"},"#
                       + #""amount":{"from":"1000.00","to":"1200.00"},"paid":{"from":"0.00","to":"1200.00"},"#
                       + #""status":{"from":"escalated","to":"paid"}}}"#)
        // The file's open over the ledger's escalation: the amount changes, the status stays.
        let (kept, _) = try XCTUnwrap(ImportRules.update(invoice(amount: 130_000), over: old, origin: nil))
        XCTAssertEqual(kept.status, "escalated")
    }

    func testAClientsEmptyNameOrAddressesKeepWhatIsStoredAndAChangeIsAudited() throws {
        let current = Client(id: "acme", name: "Acme", emails: ["ap@acme.example"])
        XCTAssertNil(ImportRules.update(current, name: "", emails: []).record)
        XCTAssertNil(ImportRules.update(current, name: "Acme", emails: ["ap@acme.example"]).record)
        let (updated, record) = ImportRules.update(current, name: "", emails: ["ar@acme.example"])
        XCTAssertEqual(updated.name, "Acme")
        XCTAssertEqual(updated.emails, ["ar@acme.example"])
        let entry = try XCTUnwrap(record)
        XCTAssertEqual(entry.event, .clientUpdated)
        XCTAssertEqual(JSONValue.object(entry.details).serialized,
                       #"{"changes":{"emails":{"from":["ap@acme.example"],"to":["ar@acme.example"]}}}"#)
    }

    func testANewClientNeedsANameAndAnAddressAndItsDetailsAreItsJSON() throws {
        var details: [UInt8] = Array("left over".utf8)
        try ImportRules.newClient(id: "acme", name: "Acme \"Ltd\"", emails: ["a@acme.example", "b@acme.example"], details: &details)
        XCTAssertEqual(String(decoding: details, as: UTF8.self),
                       JSONValue.object([("name", .string("Acme \"Ltd\"")), ("emails", .strings(["a@acme.example", "b@acme.example"]))]).serialized)
        XCTAssertThrowsError(try ImportRules.newClient(id: "acme", name: "", emails: ["a@acme.example"], details: &details)) { error in
            XCTAssertEqual((error as? OverdueError)?.exitCode, .dataError)
        }
    }

    func testANewInvoicesDetailsAreTheJSONOfItsFieldsWithTheSourceEscapedOncePerFile() {
        var writer = ImportRules.InsertedDetails()
        var details: [UInt8] = []
        let expected: (String?, Int?, Invoice) -> String = { source, line, invoice in
            var members: [(String, JSONValue)] = []
            if let source, let line { members = [("source", .string(source)), ("line", .int(Int64(line)))] }
            members += [("issue_date", .string(invoice.issueDate.description)), ("due_date", .string(invoice.dueDate.description)),
                        ("amount", .string(invoice.amount.decimalString)), ("paid", .string(invoice.paid.decimalString)),
                        ("currency", .string(invoice.currency.code)), ("status", .string(invoice.status.rawValue))]
            return JSONValue.object(members).serialized
        }
        let first = invoice(paid: 5)
        writer.write(first, origin: ("exports/\"jan\".csv", 2), to: &details)
        XCTAssertEqual(String(decoding: details, as: UTF8.self), expected("exports/\"jan\".csv", 2, first))
        let yen = invoice(.paid, amount: 5000, paid: 5000, currency: jpy)
        writer.write(yen, origin: ("b.csv", 3), issueDate: Array("2026-01-01".utf8), to: &details)
        XCTAssertEqual(String(decoding: details, as: UTF8.self), expected("b.csv", 3, yen))
        writer.write(first, origin: nil, to: &details)
        XCTAssertEqual(String(decoding: details, as: UTF8.self), expected(nil, nil, first))
    }
}
