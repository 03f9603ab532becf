import XCTest
@testable import OverdueCore

/// The values a reminder template sees say only what is true when the message is sent.
final class MailReminderValuesTests: XCTestCase {
    /// The fixture's invoice (due 2026-01-31, 1200.00 EUR, 200.00 paid) on a ladder of
    /// reminder-7, reminder-30 (fee 40.00 EUR) and a hand-off at 45 days.
    func fixture(handOff: Stage.Action = .escalate, finalNoticeDays: Int = 14) throws -> MailFixture {
        var fixture = try MailFixture()
        fixture.config.stages.insert(Stage(name: "reminder-7", days: 7, action: .email, template: "reminder",
                                           subject: "Invoice {{invoice.number}}: {{days_overdue}} days"), at: 0)
        fixture.config.stages.append(Stage(name: "hand-off", days: 45, action: handOff, template: nil, subject: nil))
        fixture.config.delivery.finalNoticeDays = finalNoticeDays
        return fixture
    }

    func values(_ fixture: MailFixture, stage: String = "reminder-30", daysOverdue: Int = 30,
                amountDue: Int64 = 104_000) throws -> [String: Any] {
        try MessageTemplates.load(fixture.config).values(
            config: fixture.config, context: fixture.context, stage: fixture.config.stage(named: stage)!,
            amountDue: Money(minorUnits: amountDue, currency: fixture.context.invoice.currency), daysOverdue: daysOverdue)
    }

    func dispatch(_ id: Int64, _ stage: String, _ date: String, _ state: DispatchState, subject: String? = nil) -> Dispatch {
        var dispatch = Dispatch(id: id, invoiceNumber: "INV-7", stage: stage, action: .email, localDate: LocalDate(date)!,
                                queuedAt: Date(), state: state)
        dispatch.subject = subject
        return dispatch
    }

    func testFirstContactUntilAnEmailWentToTheClient() throws {
        var fixture = try fixture()
        XCTAssertEqual(try values(fixture)["first_contact"] as? Bool, true)
        XCTAssertEqual((try values(fixture)["reminders"] as? [Any])?.count, 0)
        fixture.context.dispatches = [dispatch(1, "reminder-7", "2026-02-09", .failed)]
        XCTAssertEqual(try values(fixture)["first_contact"] as? Bool, true, "a failed email never reached the client")
        fixture.context.dispatches = [dispatch(1, "reminder-7", "2026-02-09", .sent)]
        XCTAssertEqual(try values(fixture)["first_contact"] as? Bool, false)
    }

    func testRemindersListEarlierEmailsOldestFirstWithTheirSubjects() throws {
        var fixture = try fixture()
        fixture.context.dispatches = [dispatch(1, "reminder-7", "2026-02-09", .sent),
                                      dispatch(2, "reminder-30", "2026-03-02", .sending)]
        let reminders = try XCTUnwrap(try values(fixture)["reminders"] as? [[String: Any]])
        XCTAssertEqual(reminders.count, 1, "this stage's own dispatch is not an earlier reminder")
        XCTAssertEqual(reminders[0]["stage"] as? String, "reminder-7")
        XCTAssertEqual(reminders[0]["date"] as? String, "2026-02-09")
        XCTAssertEqual(reminders[0]["date_text"] as? String, "9 February 2026")
        XCTAssertEqual(reminders[0]["subject"] as? String, "Invoice INV-7: 9 days", "rendered as of its own date")
        fixture.context.dispatches[0].subject = "Stored subject"
        let stored = try XCTUnwrap(try values(fixture)["reminders"] as? [[String: Any]])
        XCTAssertEqual(stored[0]["subject"] as? String, "Stored subject")
    }

    func testSentLateWhenDaysOverdueExceedTheStagesDays() throws {
        let fixture = try fixture()
        XCTAssertEqual(try values(fixture, daysOverdue: 30)["sent_late"] as? Bool, false)
        XCTAssertEqual(try values(fixture, daysOverdue: 32)["sent_late"] as? Bool, true)
        XCTAssertEqual(try values(fixture, daysOverdue: 30)["due_today"] as? Bool, false)
        XCTAssertEqual(try values(fixture, daysOverdue: 30)["overdue"] as? Bool, true)
    }

    func testHandOffDateIsTheLaterOfItsDaysAndTheNoticePeriod() throws {
        let onTime = try XCTUnwrap(try values(try fixture(), daysOverdue: 30)["hand_off"] as? [String: Any])
        XCTAssertEqual(onTime["days"] as? String, "45")
        XCTAssertEqual(onTime["action"] as? String, "escalate")
        XCTAssertEqual(onTime["escalate"] as? Bool, true)
        XCTAssertEqual(onTime["date"] as? String, "2026-03-17", "due + 45 is later than 2026-03-02 + 14")
        XCTAssertEqual(onTime["date_text"] as? String, "17 March 2026")
        let late = try XCTUnwrap(try values(try fixture(), daysOverdue: 40)["hand_off"] as? [String: Any])
        XCTAssertEqual(late["date"] as? String, "2026-03-26", "sent 2026-03-12: 14 days' notice from then")
        let longer = try XCTUnwrap(try values(try fixture(finalNoticeDays: 30), daysOverdue: 30)["hand_off"] as? [String: Any])
        XCTAssertEqual(longer["date"] as? String, "2026-04-01")
        let writeOff = try XCTUnwrap(try values(try fixture(handOff: .writeOff))["hand_off"] as? [String: Any])
        XCTAssertEqual(writeOff["action"] as? String, "write-off")
        XCTAssertEqual(writeOff["write_off"] as? Bool, true)
        XCTAssertEqual(writeOff["escalate"] as? Bool, false)
    }

    func testNoHandOffWithoutALaterHandOffStage() throws {
        XCTAssertNil(try values(try MailFixture())["hand_off"])
        XCTAssertNil(try values(try MailFixture())["pay_by"], "the last stage: no later date to pay by")
    }

    func testPayByIsTheDayBeforeTheNextStageCanHappen() throws {
        let fixture = try fixture()
        let fromSeven = try XCTUnwrap(try values(fixture, stage: "reminder-7", daysOverdue: 7)["pay_by"] as? [String: Any])
        XCTAssertEqual(fromSeven["date"] as? String, "2026-03-01", "reminder-30 comes on 2026-03-02")
        let fromThirty = try XCTUnwrap(try values(fixture, daysOverdue: 30)["pay_by"] as? [String: Any])
        XCTAssertEqual(fromThirty["date"] as? String, "2026-03-16", "the day before the hand-off date")
        XCTAssertEqual(fromThirty["date_text"] as? String, "16 March 2026")
        let lateSeven = try XCTUnwrap(try values(fixture, stage: "reminder-7", daysOverdue: 29)["pay_by"] as? [String: Any])
        XCTAssertEqual(lateSeven["date"] as? String, "2026-03-03", "min_days_between (3) after 2026-03-01, less a day")
    }

    func testAmountsAddUpWithFeesAndHaveTextForPeople() throws {
        var fixture = try fixture()
        let eur = Currency(code: "EUR")!
        fixture.context.invoice.fees = Money(minorUnits: 2500, currency: eur)
        fixture.config.business.locale = "de-DE"
        let values = try values(fixture, amountDue: 106_500)
        let invoice = try XCTUnwrap(values["invoice"] as? [String: Any])
        let stage = try XCTUnwrap(values["stage"] as? [String: Any])
        XCTAssertEqual(invoice["amount"] as? String, "1200.00")
        XCTAssertEqual(invoice["paid"] as? String, "200.00")
        XCTAssertEqual(invoice["fees"] as? String, "25.00")
        XCTAssertEqual(invoice["has_fees"] as? Bool, true)
        XCTAssertEqual(stage["fee"] as? String, "40.00")
        XCTAssertEqual(invoice["amount_due"] as? String, "1065.00", "1200.00 - 200.00 + 25.00 + 40.00")
        XCTAssertEqual(invoice["amount_text"] as? String, "1.200,00 €")
        XCTAssertEqual(invoice["fees_text"] as? String, "25,00 €")
        XCTAssertEqual(stage["fee_text"] as? String, "40,00 €")
        XCTAssertEqual(invoice["amount_due_text"] as? String, "1.065,00 €")
        XCTAssertEqual(invoice["due_date_text"] as? String, "31. Januar 2026")
        XCTAssertEqual(invoice["issue_date"] as? String, "2026-01-01")
    }

    func testPaymentInstructionsNameTheInvoiceAndSignatureIsKept() throws {
        var fixture = try fixture()
        XCTAssertNil((try values(fixture)["business"] as? [String: Any])?["payment_instructions"])
        fixture.config.business.paymentInstructions = "IBAN DE02 1203 · reference: {invoice}"
        fixture.config.business.signature = "Jane Doe\n+49 30 1234567"
        let business = try XCTUnwrap(try values(fixture)["business"] as? [String: Any])
        XCTAssertEqual(business["payment_instructions"] as? String, "IBAN DE02 1203 · reference: INV-7")
        XCTAssertEqual(business["signature"] as? String, "Jane Doe\n+49 30 1234567")
    }

    /// The names the check accepts are exactly the names that get values: both come from one table.
    func testEveryKnownNameHasAValueWhenEverythingApplies() throws {
        var fixture = try fixture()
        fixture.config.business.paymentInstructions = "ref {invoice}"
        fixture.config.business.signature = "Jane"
        fixture.config.interest = InterestPolicy(basis: .statutory(.de))
        fixture.context.dispatches = [dispatch(1, "reminder-7", "2026-02-09", .sent)]
        var paths: Set<String> = []
        func walk(_ value: Any, _ path: String) {
            if !path.isEmpty { paths.insert(path) }
            if let group = value as? [String: Any] {
                for (key, inner) in group { walk(inner, path.isEmpty ? key : path + "." + key) }
            } else if let list = value as? [[String: Any]] {
                for item in list { walk(item, path) }
            }
        }
        walk(try values(fixture), "")
        XCTAssertEqual(paths, TemplateVariables.known)
    }

    func testListsAndBooleansWorkAsSectionsInTemplates() throws {
        var fixture = try MailFixture(text: """
            {{#first_contact}}first{{/first_contact}}{{^first_contact}}again{{/first_contact}}
            {{#reminders}}- {{stage}} on {{date_text}}: {{subject}}
            {{/reminders}}{{#sent_late}}late{{/sent_late}}{{^hand_off}}no hand-off{{/hand_off}}
            """)
        fixture.config.stages.insert(Stage(name: "reminder-7", days: 7, action: .email, template: "reminder", subject: "R7"), at: 0)
        fixture.context.dispatches = [dispatch(1, "reminder-7", "2026-02-09", .sent, subject: "Earlier & first")]
        let templates = try MessageTemplates.load(fixture.config)
        let values = templates.values(config: fixture.config, context: fixture.context, stage: fixture.config.stages[1],
                                      amountDue: fixture.context.invoice.balance, daysOverdue: 31)
        XCTAssertEqual(templates.render(stage: "reminder-30", values: values)?.text,
                       "again\n- reminder-7 on 9 February 2026: Earlier & first\nlateno hand-off")
    }
}

/// `invoice.interest`, `invoice.compensation` and `invoice.claim_total` with `[interest]`.
final class MailInterestValuesTests: XCTestCase {
    func testInterestValuesAreAbsentWithoutTheSection() throws {
        let fixture = try MailFixture()
        let invoice = try XCTUnwrap(try MessageTemplates.load(fixture.config).values(
            config: fixture.config, context: fixture.context, stage: fixture.stage,
            amountDue: Money(minorUnits: 104_000, currency: Currency(code: "EUR")!), daysOverdue: 30)["invoice"] as? [String: Any])
        XCTAssertNil(invoice["interest"])
        XCTAssertNil(invoice["claim_total"])
    }

    func testClaimTotalIsTheAmountDueWithInterestAndCompensationAsOfTheMessagesDate() throws {
        var fixture = try MailFixture()
        fixture.config.interest = InterestPolicy(basis: .statutory(.de))
        // Due 2026-01-31, 1200.00 with 200.00 paid (undated: by the due date), so 1000.00 at
        // 1.27 + 9 = 10.27% for 30 days: 8.44 EUR; the message states 1040.00 (with its fee).
        let invoice = try XCTUnwrap(try MessageTemplates.load(fixture.config).values(
            config: fixture.config, context: fixture.context, stage: fixture.stage,
            amountDue: Money(minorUnits: 104_000, currency: Currency(code: "EUR")!), daysOverdue: 30)["invoice"] as? [String: Any])
        XCTAssertEqual(invoice["interest"] as? String, "8.44")
        XCTAssertEqual(invoice["compensation"] as? String, "40.00")
        XCTAssertEqual(invoice["claim_total"] as? String, "1088.44")
        XCTAssertEqual(invoice["claim_total_text"] as? String, "€1,088.44")
    }

    func testAMessageStatingInterestThatCannotBeComputedIsRefused() throws {
        var fixture = try MailFixture(text: "Interest: {{invoice.interest}}\n")
        fixture.config.interest = InterestPolicy(basis: .statutory(.eu))
        fixture.context.invoice.dueDate = LocalDate("2026-06-20")!
        XCTAssertThrowsError(try fixture.message()) { error in
            XCTAssertEqual((error as? OverdueError)?.exitCode, .config)
            XCTAssertTrue("\(error)".contains("no ECB main refinancing operations rate is known from 2026-07-01"), "\(error)")
        }
        // A template that does not state it still goes out.
        var plain = try MailFixture()
        plain.config.interest = fixture.config.interest
        plain.context.invoice.dueDate = fixture.context.invoice.dueDate
        XCTAssertNoThrow(try plain.message())
    }
}
