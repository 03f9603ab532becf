import Foundation
import OverdueCore
import XCTest

/// Builders for planner tests: a realistic ladder, invoices and dispatch histories written tersely.
enum Fixture {
    static let owner = try! Mailbox(address: "jane@janedoe.example")

    /// -3 courtesy, 7 friendly, 14 firm (fee 5.00 EUR, 5 JPY, 5.000 KWD), 30 reminder-30,
    /// 60 final-notice (fee 40.00 EUR), 90 hand-off (escalate), 120 write-off.
    static let ladder: [Stage] = [
        email("courtesy", -3),
        email("friendly", 7),
        email("firm", 14, fees: ["5.00 EUR", "5 JPY", "5.000 KWD"]),
        email("reminder-30", 30),
        email("final-notice", 60, fees: ["40.00 EUR"]),
        Stage(name: "hand-off", days: 90, action: .escalate, template: nil, subject: nil),
        Stage(name: "write-off", days: 120, action: .writeOff, template: nil, subject: nil),
    ]

    static func email(_ name: String, _ days: Int, fees: [String] = []) -> Stage {
        Stage(name: name, days: days, action: .email, template: name, subject: "Invoice {{invoice.number}}",
              fees: fees.map(fee))
    }

    /// `"40.00 EUR"` as Money.
    static func fee(_ text: String) -> Money {
        let parts = text.split(separator: " ")
        return try! Money.parse(String(parts[0]), currency: Currency(code: String(parts[1]))!).get()
    }

    static func zone(_ identifier: String) -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else { fatalError("no time zone \(identifier)") }
        return zone
    }

    static func planner(stages: [Stage] = ladder, minDaysBetween: Int = 3, window: SendWindow? = nil,
                        zone identifier: String = "Europe/Berlin", finalNoticeDays: Int = 14) -> EscalationPlanner {
        EscalationPlanner(stages: stages, minDaysBetween: minDaysBetween, sendWindow: window,
                          timeZone: zone(identifier), owner: owner, finalNoticeDays: finalNoticeDays)
    }

    static func date(_ text: String) -> LocalDate {
        guard let date = LocalDate(text) else { fatalError("bad date \(text)") }
        return date
    }

    /// An RFC 3339 instant (`2026-03-01T12:00:00Z`) or a date meaning 12:00 in Europe/Berlin.
    static func instant(_ text: String, zone identifier: String = "Europe/Berlin") -> Date {
        guard let instant = parseAsOf(text, zone: zone(identifier)) else { fatalError("bad instant \(text)") }
        return instant
    }

    static func money(_ text: String, _ code: String = "EUR") -> Money {
        try! Money.parse(text, currency: Currency(code: code)!).get()
    }

    static func dispatch(_ stage: String, on date: String, fee: Int64 = 0, state: DispatchState = .sent,
                         action: Stage.Action = .email) -> Dispatch {
        Dispatch(id: 1, invoiceNumber: "INV-1", stage: stage, action: action, localDate: Fixture.date(date),
                 queuedAt: Date(timeIntervalSince1970: 0), state: state, feeMinorUnits: fee)
    }

    static func context(number: String = "INV-1", due: String = "2026-03-01", amount: String = "1200.00",
                        paid: String = "0", fees: String = "0", currency: String = "EUR", status: InvoiceStatus = .open,
                        onHold: Bool = false, clientOnHold: Bool = false, clientBlocked: Bool = false,
                        emails: [String] = ["ap@acme.example"], dispatches: [Dispatch] = []) -> InvoiceContext {
        let dueDate = date(due)
        let invoice = Invoice(number: number, clientID: "acme", issueDate: dueDate.adding(days: -30), dueDate: dueDate,
                              amount: money(amount, currency), paid: money(paid, currency), status: status, onHold: onHold,
                              fees: money(fees, currency))
        let client = Client(id: "acme", name: "Acme GmbH", emails: emails, onHold: clientOnHold, blocked: clientBlocked)
        return InvoiceContext(invoice: invoice, client: client, dispatches: dispatches)
    }

    /// Monday to Friday, 09:00–17:00, Christmas off.
    static let officeHours = SendWindow(days: [.mon, .tue, .wed, .thu, .fri],
                                        start: LocalTime(hhmm: "09:00")!, end: LocalTime(hhmm: "17:00")!,
                                        holidays: [date("2026-12-25")])
}

/// Asserts the parts of a plan line a test cares about, with a readable failure.
func assertLine(_ line: PlanLine, stage: String?, action: PlanLine.Action, reason: SkipReason? = nil,
                days: Int? = nil, amountDue: String? = nil, to: [String]? = nil, superseded: [String]? = nil,
                file: StaticString = #filePath, line number: UInt = #line) {
    XCTAssertEqual(line.stage, stage, "stage", file: file, line: number)
    XCTAssertEqual(line.action, action, "action", file: file, line: number)
    XCTAssertEqual(line.reason, reason, "reason", file: file, line: number)
    if let days { XCTAssertEqual(line.daysOverdue, days, "days_overdue", file: file, line: number) }
    if let amountDue { XCTAssertEqual(line.amountDue.decimalString, amountDue, "amount_due", file: file, line: number) }
    if let to { XCTAssertEqual(line.to, to, "to", file: file, line: number) }
    if let superseded { XCTAssertEqual(line.superseded, superseded, "superseded", file: file, line: number) }
}
