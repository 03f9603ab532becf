import XCTest
@testable import OverdueCore

/// Every path of `InboxClassifier.classify`, with the ledger's facts given by hand.
final class InboxClassifierTests: XCTestCase {
    let ids = MessageIDGenerator(secret: Array("inbox-test-secret".utf8))
    let domain = "janedoe.example"
    lazy var sentID = ids.messageID(invoice: "INV-2", stage: "friendly", nonce: "12", domain: domain)
    lazy var reference = SentReference(messageID: sentID, invoice: "INV-2", stage: "friendly", nonce: "12", clientID: "acme",
                                       clientEmails: ["ap@acme.example", "boss@acme.example"])
    let acme = ClientMail(clientID: "acme", emails: ["ap@acme.example", "boss@acme.example"], openInvoices: ["INV-1", "INV-2", "INV-10"])

    private func mail(_ text: String) -> InboundMail {
        InboundMail(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    }

    private func classify(_ text: String, sent: [SentReference]? = nil, clients: [String: ClientMail]? = nil) -> InboxVerdict {
        InboxClassifier.classify(mail(text), facts: InboxFacts(sent: sent ?? [reference], clients: clients ?? ["ap@acme.example": acme]),
                                 ids: ids, ownDomain: domain, ownAddresses: ["billing@janedoe.example", "jane@janedoe.example"])
    }

    func testAReplyByItsThreadHoldsThatInvoiceOnly() {
        XCTAssertEqual(classify("From: A <ap@acme.example>\nIn-Reply-To: \(sentID)\nSubject: Re: INV-1 and INV-2\n\nPaid."),
                       .reply(clientID: "acme", invoices: ["INV-2"], byThread: true))
        // References alone, the nearest ancestor last, from an address of no client.
        XCTAssertEqual(classify("From: someone@else.example\nReferences: <a@x> \(sentID)\n\nhi", clients: [:]),
                       .reply(clientID: "acme", invoices: ["INV-2"], byThread: true))
    }

    func testAMessageIDWhoseHMACDoesNotCheckOutIsNoReply() {
        // The ledger holds the ID, but it was not made with this secret for that dispatch.
        let tampered = SentReference(messageID: sentID, invoice: "INV-2", stage: "friendly", nonce: "13", clientID: "acme", clientEmails: [])
        XCTAssertEqual(classify("From: ap@acme.example\nIn-Reply-To: \(sentID)\n\nINV-1", sent: [tampered]),
                       .ignored("answers Message-ID \(sentID), which overdue never made"))
    }

    func testAForgedIDOfOurDomainIsIgnoredWholeEvenFromAClientNamingAnInvoice() {
        XCTAssertEqual(classify("From: ap@acme.example\nIn-Reply-To: <0000@janedoe.example>\nSubject: INV-1\n\nINV-1", sent: []),
                       .ignored("answers Message-ID <0000@janedoe.example>, which overdue never made"))
    }

    func testTheHeuristicNeedsAClientAddressAndAWholeInvoiceNumber() {
        // Addresses and invoice numbers compare case-insensitively.
        XCTAssertEqual(classify("From: Anna <AP@ACME.EXAMPLE>\nSubject: payment\n\nINV-10 and inv-1, paid."),
                       .reply(clientID: "acme", invoices: ["INV-1", "INV-10"], byThread: false))
        XCTAssertEqual(classify("From: Anna <ap@acme.example>\nSubject: payment\n\nINV-10 and inv-1, paid."),
                       .reply(clientID: "acme", invoices: ["INV-1", "INV-10"], byThread: false))
        XCTAssertEqual(classify("From: Anna <ap@acme.example>\nSubject: payment\n\nINV-100 and XINV-2 paid."),
                       .ignored("from client acme, but names none of its open invoices"))
        XCTAssertEqual(classify("From: news@shop.example\nSubject: INV-1\n\nsale"),
                       .ignored("not a reply to overdue, and the sender is no client's address"))
    }

    func testOwnMailIsIgnored() {
        XCTAssertEqual(classify("From: Jane <jane@janedoe.example>\nIn-Reply-To: \(sentID)\n\nforwarding"),
                       .ignored("sent from overdue's own address jane@janedoe.example"))
    }

    func testAutomaticAnswersAreToldByHeaderOrSubjectAndNeverHold() {
        let shapes = [
            "Auto-Submitted: auto-replied\nSubject: Re: your mail",
            "Auto-Submitted: auto-generated; owner-email=x@y\nSubject: hello",
            "X-Autoreply: yes\nSubject: hello",
            "X-Autorespond: on\nSubject: hello",
            "Precedence: auto_reply\nSubject: hello",
            "Subject: Automatic reply: Invoice INV-2",
            "Subject: Out of Office: back Monday",
            "Subject: Abwesenheitsnotiz: Rechnung",
            "Subject: =?utf-8?Q?R=C3=A9ponse_automatique?=",
        ]
        for shape in shapes {
            XCTAssertEqual(classify("From: ap@acme.example\nIn-Reply-To: \(sentID)\n\(shape)\n\nAway."),
                           .autoReply(clientID: "acme", invoice: "INV-2"), shape)
        }
        XCTAssertEqual(classify("From: ap@acme.example\nAuto-Submitted: auto-replied\n\nAway, INV-1."),
                       .autoReply(clientID: "acme", invoice: nil))
        XCTAssertEqual(classify("From: x@other.example\nAuto-Submitted: auto-replied\n\nAway."),
                       .ignored("an automatic answer from an address of no client"))
        // `Auto-Submitted: no` is a person.
        XCTAssertEqual(classify("From: ap@acme.example\nAuto-Submitted: no\nIn-Reply-To: \(sentID)\n\nPaid."),
                       .reply(clientID: "acme", invoices: ["INV-2"], byThread: true))
    }

    private func report(action: String, status: String, recipient: String = "ap@acme.example", returned: String? = nil) -> String {
        """
        From: MAILER-DAEMON@mail.example
        Auto-Submitted: auto-replied
        Content-Type: multipart/report; report-type=delivery-status; boundary="B"

        --B
        Content-Type: text/plain

        failed
        --B
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mail.example

        Final-Recipient: rfc822; \(recipient)
        Action: \(action)
        Status: \(status)
        Diagnostic-Code: smtp; 550 no such user

        --B
        Content-Type: text/rfc822-headers

        Message-ID: \(returned ?? sentID)
        Subject: Invoice INV-2

        --B--
        """
    }

    func testAPermanentFailureOfAClientAddressIsABounce() {
        XCTAssertEqual(classify(report(action: "failed", status: "5.1.1")),
                       .bounce(clientID: "acme", invoice: "INV-2", addresses: ["ap@acme.example"], status: "5.1.1",
                               diagnostic: "smtp; 550 no such user"))
    }

    func testATemporaryFailureOrDelayIsRecordedOnly() {
        XCTAssertEqual(classify(report(action: "delayed", status: "4.4.1")),
                       .delayed(clientID: "acme", invoice: "INV-2", addresses: ["ap@acme.example"], status: "4.4.1"))
        XCTAssertEqual(classify(report(action: "failed", status: "4.2.2")),
                       .delayed(clientID: "acme", invoice: "INV-2", addresses: ["ap@acme.example"], status: "4.2.2"))
    }

    func testAReportAboutAnotherAddressOrAnotherMessageChangesNothing() {
        XCTAssertEqual(classify(report(action: "failed", status: "5.1.1", recipient: "jane@janedoe.example")),
                       .ignored("a delivery report with no failure for an address of client acme"))
        XCTAssertEqual(classify(report(action: "failed", status: "5.1.1", returned: "<other@janedoe.example>")),
                       .ignored("a delivery report about a message overdue did not send"))
        XCTAssertEqual(classify(report(action: "delivered", status: "2.0.0")),
                       .ignored("a delivery report with no failure for an address of client acme"))
    }

    func testAReportWithoutReturnedHeadersIsMatchedByTheFailedAddress() {
        let bare = report(action: "failed", status: "5.1.1").components(separatedBy: "--B\nContent-Type: text/rfc822-headers")[0] + "--B--"
        XCTAssertEqual(classify(bare, sent: []),
                       .bounce(clientID: "acme", invoice: nil, addresses: ["ap@acme.example"], status: "5.1.1",
                               diagnostic: "smtp; 550 no such user"))
        XCTAssertEqual(classify(bare, sent: [], clients: [:]), .ignored("a delivery report about a message overdue did not send"))
    }

    func testQuestionsAskForEveryIDAndAddressAMessageNames() {
        let (messageIDs, addresses) = InboxClassifier.questions(mail(report(action: "failed", status: "5.1.1")))
        XCTAssertEqual(messageIDs, [sentID])
        XCTAssertEqual(addresses, ["mailer-daemon@mail.example", "ap@acme.example"])
    }
}
