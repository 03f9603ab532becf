import Foundation
import XCTest
@testable import OverdueCore

/// A message computes only the variables its templates read (some walk the ladder ahead or
/// format amounts for people), and renders exactly as it would from all of them.
final class MailTemplateUsedValuesTests: XCTestCase {
    func testAMessageComputesOnlyTheVariablesItsTemplatesRead() throws {
        let fixture = try MailFixture(text: "Dear {{client.name}},\n{{#invoice}}{{amount_due_text}} by {{due_date}}{{/invoice}}\n",
                                      subject: "Invoice {{invoice.number}}")
        let templates = try MessageTemplates.load(fixture.config)
        let used = try XCTUnwrap(templates.stages["reminder-30"]?.used)
        let values = templates.values(config: fixture.config, context: fixture.context, stage: fixture.stage,
                                      amountDue: fixture.context.invoice.balance, daysOverdue: 30, only: used)
        XCTAssertEqual(Set(values.keys), ["client", "invoice"])
        XCTAssertEqual(Set(try XCTUnwrap(values["client"] as? [String: Any]).keys), ["name"])
        XCTAssertEqual(Set(try XCTUnwrap(values["invoice"] as? [String: Any]).keys), ["number", "amount_due_text", "due_date"],
                       "a name inside a section is the section's own; the plain amount is not read, so not computed")
    }

    func testAVariableReadOnlyInAPartialIsComputed() throws {
        let fixture = try MailFixture(text: "{{#invoice}}{{> line}}{{/invoice}}\n")
        try "{{invoice.number}} {{business.name}}\n".write(toFile: fixture.folder + "/templates/line.partial.txt", atomically: true, encoding: .utf8)
        let templates = try MessageTemplates.load(fixture.config)
        let used = try XCTUnwrap(templates.stages["reminder-30"]?.used)
        XCTAssertTrue(used.isSuperset(of: ["invoice", "invoice.number", "business", "business.name"]))
        let message = try fixture.message().text
        XCTAssertTrue(message.contains("INV-7 Jane Doe Design"), message)
    }

    /// Every shipped template, with partials, sections, the hand-off, pay-by date and earlier
    /// reminders in play: the same subject, text and HTML from only the variables it reads.
    func testEveryShippedTemplateRendersTheSameFromOnlyTheVariablesItReads() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/templates").path
        var fixture = try MailFixture()
        let names = try FileManager.default.contentsOfDirectory(atPath: shipped)
        for name in names {
            try? FileManager.default.removeItem(atPath: fixture.folder + "/templates/" + name)
            try FileManager.default.copyItem(atPath: shipped + "/" + name, toPath: fixture.folder + "/templates/" + name)
        }
        let stems = Set(names.filter { $0.hasSuffix(".txt") && !$0.contains(".partial.") && $0 != "demand.txt" }.map { String($0.dropLast(4)) })
        XCTAssertFalse(stems.isEmpty)
        let eur = Currency(code: "EUR")!
        let stages = stems.sorted().enumerated().map { index, stem in
            Stage(name: stem, days: 7 * (index + 1), action: .email, template: stem,
                  subject: "{{invoice.number}}: {{invoice.amount_due_text}} ({{#hand_off}}{{hand_off.date_text}}{{/hand_off}})",
                  fees: [Money(minorUnits: 500, currency: eur)])
        } + [Stage(name: "hand-off", days: 7 * (stems.count + 1), action: .escalate, template: nil, subject: nil)]
        fixture.config.stages = stages
        fixture.context.dispatches = [Dispatch(id: 1, invoiceNumber: "INV-7", stage: stages[0].name, action: .email,
                                               localDate: LocalDate("2026-02-07")!, queuedAt: Date(timeIntervalSince1970: 1_770_000_000),
                                               state: .sent, subject: "the first")]
        let templates = try MessageTemplates.load(fixture.config)
        for stage in stages.dropFirst() where stage.action == .email {
            let all = templates.values(config: fixture.config, context: fixture.context, stage: stage,
                                       amountDue: fixture.context.invoice.balance, daysOverdue: stage.days)
            let used = templates.values(config: fixture.config, context: fixture.context, stage: stage,
                                        amountDue: fixture.context.invoice.balance, daysOverdue: stage.days,
                                        only: templates.stages[stage.name]?.used)
            let full = try XCTUnwrap(templates.render(stage: stage.name, values: all))
            let limited = try XCTUnwrap(templates.render(stage: stage.name, values: used))
            XCTAssertEqual(limited.subject, full.subject, stage.name)
            XCTAssertEqual(limited.text, full.text, stage.name)
            XCTAssertEqual(limited.html, full.html, stage.name)
            XCTAssertTrue(full.text.contains("INV-7"), "\(stage.name): \(full.text)")
        }
    }
}
