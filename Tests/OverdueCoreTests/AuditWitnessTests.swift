import Foundation
import XCTest
@testable import OverdueCore

/// When the audit chain's head is due to be mailed to the owner, and which witness dates which entry.
final class AuditWitnessTests: XCTestCase {
    let day = Interval("1d")!
    func at(_ text: String) -> Date { parseTimestamp(text)! }

    func testAWitnessIsDueWhenNoneWasEverSent() {
        XCTAssertTrue(AuditWitness.isDue(lastWitnessedAt: nil, now: at("2026-03-01T10:00:00Z"), every: day))
    }

    func testAWitnessIsDueOnlyOnceTheIntervalHasPassedSinceTheLast() {
        let last = at("2026-03-01T10:00:00Z")
        XCTAssertFalse(AuditWitness.isDue(lastWitnessedAt: last, now: last, every: day))
        XCTAssertFalse(AuditWitness.isDue(lastWitnessedAt: last, now: at("2026-03-02T09:59:59Z"), every: day))
        XCTAssertTrue(AuditWitness.isDue(lastWitnessedAt: last, now: at("2026-03-02T10:00:00Z"), every: day))
        XCTAssertTrue(AuditWitness.isDue(lastWitnessedAt: last, now: at("2026-03-09T10:00:00Z"), every: day))
        XCTAssertFalse(AuditWitness.isDue(lastWitnessedAt: last, now: at("2026-03-01T12:00:00Z"), every: Interval("3h")!))
    }

    func testAClockBehindTheLastWitnessDoesNotSendAnother() {
        // A tick run with --as-of in the past must not mail the owner at every tick.
        XCTAssertFalse(AuditWitness.isDue(lastWitnessedAt: at("2026-03-10T10:00:00Z"), now: at("2026-03-01T10:00:00Z"), every: day))
    }

    func entry(_ seq: Int64, _ event: AuditEvent, details: [(String, JSONValue)] = [], asOf: Date? = nil) -> AuditEntry {
        AuditEntry(seq: seq, at: at("2026-03-01T10:00:00Z"), asOf: asOf, event: event.rawValue, invoice: nil, client: nil,
                   stage: nil, detailsJSON: AuditChain.detailsJSON(details), prevHash: AuditChain.genesis,
                   hash: String(repeating: "\(seq % 10)", count: 64))
    }

    func witness(_ seq: Int64, head: Int64, asOf: Date? = nil) -> AuditEntry {
        entry(seq, .auditWitnessed, details: AuditWitness.details(head: entry(head, .tickFinished), to: "jane@janedoe.example",
                                                                  messageID: "<w\(seq)@janedoe.example>", reply: "250 ok"),
              asOf: asOf)
    }

    func testAWitnessEntryReadsBackWithItsHeadAndMessageID() throws {
        let record = try XCTUnwrap(AuditWitness.Record(witness(9, head: 8, asOf: at("2026-04-01T00:00:00Z"))))
        XCTAssertEqual(record.seq, 9)
        XCTAssertEqual(record.headSeq, 8)
        XCTAssertEqual(record.headHash, String(repeating: "8", count: 64))
        XCTAssertEqual(record.messageID, "<w9@janedoe.example>")
        XCTAssertEqual(record.reply, "250 ok")
        XCTAssertEqual(record.at, at("2026-04-01T00:00:00Z"), "dated as the tick decided (--as-of)")
        XCTAssertNil(AuditWitness.Record(entry(3, .tickFinished)))
    }

    func testEachEntryIsCoveredByTheFirstWitnessWhoseHeadIsAtOrAfterIt() throws {
        let witnesses = [witness(5, head: 4), witness(12, head: 11)].compactMap(AuditWitness.Record.init)
        XCTAssertEqual(AuditWitness.firstCovering(1, in: witnesses)?.seq, 5)
        XCTAssertEqual(AuditWitness.firstCovering(4, in: witnesses)?.seq, 5)
        XCTAssertEqual(AuditWitness.firstCovering(5, in: witnesses)?.seq, 12, "a witness entry itself is dated by the next one")
        XCTAssertEqual(AuditWitness.firstCovering(11, in: witnesses)?.seq, 12)
        XCTAssertNil(AuditWitness.firstCovering(12, in: witnesses))
    }

    func testThePacketsAuditPartHoldsOnlyTheWitnessesThatCoverTheInvoicesEntries() {
        let invoiceEntries = [entry(2, .invoiceImported), entry(3, .reminderSent), entry(20, .invoicePaid)]
        let witnesses = [witness(5, head: 4), witness(8, head: 7), witness(12, head: 11)]
        XCTAssertEqual(EvidenceWitnesses.auditPart(invoiceEntries, witnessEntries: witnesses).map(\.seq), [2, 3, 5, 20])
    }
}
