import Foundation
import OverdueCore
import XCTest

/// The planner against a second, deliberately naive reading of the spec over many generated
/// invoices. The reference takes local dates from Foundation's `Calendar`, not from
/// `LocalDateTime`, so the two share no date code. It reads the notice before a hand-off as the
/// spec words it: an email dispatched to the client is any dispatch recorded with action
/// `email`, in any state.
final class EscalationReferenceTests: XCTestCase {
    struct Reference {
        var stages: [Stage]
        var minDaysBetween: Int
        var finalNoticeDays: Int
        var window: SendWindow?
        var zone: TimeZone
        var owner: String

        func plan(_ context: InvoiceContext, at instant: Date) -> PlanLine {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: instant)
            let today = LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!
            let seconds = parts.hour! * 3600 + parts.minute! * 60 + parts.second!
            let weekday: Weekday = [.sun, .mon, .tue, .wed, .thu, .fri, .sat][parts.weekday! - 1]

            let invoice = context.invoice
            let days = today.dayNumber - invoice.dueDate.dayNumber
            let dispatchedNames = Set(context.dispatches.map(\.stage))
            let known = stages.filter { dispatchedNames.contains($0.name) }
            let lastDays = known.map(\.days).max()
            let reached = stages.filter { $0.days <= days }
            let above = reached.filter { lastDays == nil || $0.days > lastDays! }
            let emailDates = context.dispatches.filter { $0.action == .email }.map(\.localDate)
            var due = above.max { $0.days < $1.days }
            // Never a silent hand-off: with no email yet, the highest reached email stage instead.
            if let top = due, top.action != .email, emailDates.isEmpty,
               let email = above.filter({ $0.action == .email }).max(by: { $0.days < $1.days }) {
                due = email
            }
            let superseded = due.map { due in above.filter { $0.days < due.days }.map(\.name) } ?? []
            let fee = due?.fees.first { $0.currency.code == invoice.currency.code }?.minorUnits ?? 0
            // Fees are debts: the fees charged are in the balance, and a message adds only its own.
            let balance = invoice.amount.minorUnits + invoice.fees.minorUnits - invoice.paid.minorUnits

            func line(_ reason: SkipReason?, stage: Stage?, fee: Int64) -> PlanLine {
                var action = PlanLine.Action.none
                var to: [String] = []
                if reason == nil, let stage {
                    switch stage.action {
                    case .email: action = .email; to = context.client.emails
                    case .escalate: action = .escalate; to = [owner]
                    case .writeOff: action = .writeOff
                    }
                }
                return PlanLine(invoice: invoice.number, client: context.client.id, stage: stage?.name, action: action,
                                daysOverdue: days, amountDue: Money(minorUnits: balance + fee, currency: invoice.currency),
                                to: to, reason: reason, superseded: reason == .closed ? [] : superseded)
            }

            if invoice.status != .open || balance <= 0 { return line(.closed, stage: nil, fee: 0) }
            if context.client.blocked { return line(.blocked, stage: due, fee: fee) }
            if context.client.onHold { return line(.clientHold, stage: due, fee: fee) }
            if invoice.onHold { return line(.hold, stage: due, fee: fee) }
            if reached.isEmpty { return line(.notDue, stage: nil, fee: 0) }
            guard let due else { return line(.done, stage: nil, fee: 0) }
            if due.action != .email {
                guard let last = emailDates.max(), today.dayNumber - last.dayNumber >= finalNoticeDays else {
                    return line(.noticePeriod, stage: due, fee: fee)
                }
            }
            if let last = context.dispatches.map(\.localDate).max(), today.dayNumber - last.dayNumber < minDaysBetween {
                return line(.minGap, stage: due, fee: fee)
            }
            if let window {
                let open = window.days.contains(weekday) && !window.holidays.contains(today)
                    && window.start.secondsSinceMidnight <= seconds && seconds < window.end.secondsSinceMidnight
                if !open { return line(.window, stage: due, fee: fee) }
            }
            return line(nil, stage: due, fee: fee)
        }
    }

    func testPlannerAgreesWithTheReferenceOnGeneratedInvoices() {
        var random = ImportAgreementTests.Generator(state: 42)
        let zones = ["Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles", "Australia/Sydney", "UTC", "Asia/Kolkata"]
        let fees: [[String]] = [[], ["5.00 EUR"], ["5 JPY", "40.50 EUR"], ["0.125 KWD"], ["7 JPY", "7.100 KWD", "7.10 EUR"]]
        let currencies = ["EUR", "JPY", "KWD"]
        var compared = 0, due = 0
        var reasons: Set<SkipReason> = []
        for _ in 0..<4000 {
            var stages: [Stage] = []
            var days = Int.random(in: -10...5, using: &random)
            for index in 0..<Int.random(in: 0...6, using: &random) {
                let action: Stage.Action = [.email, .email, .email, .escalate, .writeOff].randomElement(using: &random)!
                stages.append(Stage(name: "s\(index)", days: days, action: action, template: "t", subject: "s",
                                    fees: action == .email ? fees.randomElement(using: &random)!.map(Fixture.fee) : []))
                days += Int.random(in: 1...30, using: &random)
            }
            let window: SendWindow? = Bool.random(using: &random) ? nil : SendWindow(
                days: Set(Weekday.allCases.filter { _ in Int.random(in: 0..<4, using: &random) > 0 }),
                start: LocalTime(secondsSinceMidnight: 3600 * Int.random(in: 0...10, using: &random)),
                end: LocalTime(secondsSinceMidnight: 3600 * Int.random(in: 12...24, using: &random)),
                holidays: [LocalDate("2026-03-20")!, LocalDate("2026-04-03")!])
            let zoneName = zones.randomElement(using: &random)!
            let minGap = Int.random(in: 0...5, using: &random)
            let notice = Int.random(in: 0...20, using: &random)
            let planner = EscalationPlanner(stages: stages, minDaysBetween: minGap, sendWindow: window,
                                            timeZone: Fixture.zone(zoneName), owner: Fixture.owner, finalNoticeDays: notice)
            let reference = Reference(stages: stages, minDaysBetween: minGap, finalNoticeDays: notice, window: window,
                                      zone: Fixture.zone(zoneName), owner: Fixture.owner.address)

            let currency = currencies.randomElement(using: &random)!
            let unit = currency == "JPY" ? 1 : (currency == "KWD" ? 1000 : 100)
            let amount = Int64(Int.random(in: 1...100_000, using: &random) * unit / 10)
            let chargedFees = Int64([0, 0, 1, 2].randomElement(using: &random)! * 5 * unit)
            let paid = [0, amount / 2, amount, amount - 1, amount + chargedFees].randomElement(using: &random)!
            let dueDate = LocalDate("2026-03-01")!.adding(days: Int.random(in: -60...60, using: &random))
            let instant = Date(timeIntervalSince1970: Fixture.instant("2026-03-01T00:00:00Z").timeIntervalSince1970
                               + Double(Int.random(in: 0..<(86_400 * 60), using: &random)))
            var dispatches: [Dispatch] = []
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let stage = Bool.random(using: &random) && !stages.isEmpty ? stages.randomElement(using: &random)! : nil
                // Mostly the stage's own action; sometimes another (a stage since reconfigured).
                let action = Int.random(in: 0..<5, using: &random) == 0
                    ? [Stage.Action.email, .escalate, .writeOff].randomElement(using: &random)! : (stage?.action ?? .email)
                dispatches.append(Dispatch(id: 1, invoiceNumber: "INV-1", stage: stage?.name ?? "gone", action: action,
                                           localDate: dueDate.adding(days: Int.random(in: -5...70, using: &random)),
                                           queuedAt: instant, state: DispatchState.allCases.randomElement(using: &random)!,
                                           feeMinorUnits: Int64(Int.random(in: 0...3, using: &random) * 100)))
            }
            let invoice = Invoice(number: "INV-1", clientID: "c", issueDate: dueDate, dueDate: dueDate,
                                  amount: Money(minorUnits: amount, currency: Currency(code: currency)!),
                                  paid: Money(minorUnits: paid, currency: Currency(code: currency)!),
                                  status: Int.random(in: 0..<10, using: &random) == 0 ? .paid : .open,
                                  onHold: Int.random(in: 0..<10, using: &random) == 0,
                                  fees: Money(minorUnits: chargedFees, currency: Currency(code: currency)!))
            let client = Client(id: "c", name: "C", emails: ["a@c.example"],
                                onHold: Int.random(in: 0..<10, using: &random) == 0,
                                blocked: Int.random(in: 0..<10, using: &random) == 0)
            let context = InvoiceContext(invoice: invoice, client: client, dispatches: dispatches)

            var actual = planner.plan(context, at: instant)
            XCTAssertEqual(planner.plan(context, atLocal: LocalDateTime(instant, in: Fixture.zone(zoneName))), actual)
            actual.feeMinorUnits = 0
            let expected = reference.plan(context, at: instant)
            guard actual == expected else {
                return XCTFail("\(zoneName) \(formatTimestamp(instant)) stages \(stages.map { "\($0.name)@\($0.days)" }) "
                               + "dispatches \(dispatches.map { "\($0.stage)@\($0.localDate)" })\n planner   \(actual)\n reference \(expected)")
            }
            compared += 1
            if let reason = actual.reason { reasons.insert(reason) } else { due += 1 }
        }
        XCTAssertEqual(compared, 4000)
        XCTAssertGreaterThan(due, 200, "the generator should produce plenty of due lines")
        XCTAssertEqual(reasons, Set(SkipReason.allCases), "every reason should occur")
    }
}
