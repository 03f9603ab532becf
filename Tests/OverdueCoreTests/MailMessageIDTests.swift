import XCTest
@testable import OverdueCore

final class MailMessageIDTests: XCTestCase {
    func testRetriesOfOneDispatchShareTheMessageIDAndOtherDispatchesDoNot() {
        let generator = MessageIDGenerator(secret: Array("k".utf8))
        let first = generator.messageID(invoice: "INV-7", stage: "reminder-30", nonce: "41", domain: "janedoe.example")
        XCTAssertEqual(first, generator.messageID(invoice: "INV-7", stage: "reminder-30", nonce: "41", domain: "janedoe.example"))
        XCTAssertNotEqual(first, generator.messageID(invoice: "INV-7", stage: "reminder-30", nonce: "42", domain: "janedoe.example"))
        XCTAssertNotEqual(first, generator.messageID(invoice: "INV-7", stage: "final-notice", nonce: "41", domain: "janedoe.example"))
        XCTAssertTrue(first.hasPrefix("<") && first.hasSuffix("@janedoe.example>"))
        XCTAssertEqual(first.count, "<".count + 32 + "@janedoe.example>".count)
    }

    func testOnlyTheSameSecretRecognisesAMessageID() {
        let ours = MessageIDGenerator(secret: MessageIDGenerator.newSecret())
        let theirs = MessageIDGenerator(secret: MessageIDGenerator.newSecret())
        let id = ours.messageID(invoice: "INV-7", stage: "s", nonce: "1", domain: "d.example")
        XCTAssertTrue(ours.recognises(id, invoice: "INV-7", stage: "s", nonce: "1"))
        XCTAssertFalse(theirs.recognises(id, invoice: "INV-7", stage: "s", nonce: "1"))
        XCTAssertFalse(ours.recognises(id, invoice: "INV-8", stage: "s", nonce: "1"))
    }

    func testPartsCannotBeShiftedBetweenFields() {
        let generator = MessageIDGenerator(secret: [1, 2, 3])
        XCTAssertNotEqual(generator.messageID(invoice: "a", stage: "bc", nonce: "", domain: "d"),
                          generator.messageID(invoice: "ab", stage: "c", nonce: "", domain: "d"))
    }
}
