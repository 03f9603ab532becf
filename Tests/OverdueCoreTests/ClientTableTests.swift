import Foundation
import OverdueCore
import XCTest

/// The stream's client table: every client found by id and given back whole, whatever its text.
final class ClientTableTests: XCTestCase {
    func testEveryClientComesBackWholeWithItsFlagsReasonsAndAddressesInOrder() {
        let long = String(repeating: "ä", count: 200)
        let clients = [
            Client(id: "acme", name: "Acme, Ltd", emails: ["ap@acme.example", "boss@acme.example"]),
            Client(id: "held", name: "", emails: [], onHold: true, holdReason: "", blocked: true, blockReason: "disputes \(long)"),
            Client(id: "Ä\u{2028}\"x\"", name: long, emails: ["\(long)@example.test"], onHold: true, holdReason: "talks"),
        ]
        let table = ClientTable(clients)
        XCTAssertEqual(table.count, 3)
        for client in clients {
            let row = table.row(id: client.id)
            XCTAssertEqual(row?.client, client)
            XCTAssertEqual(row?.id, client.id)
            XCTAssertEqual(row?.emails, client.emails)
            XCTAssertEqual(row?.onHold, client.onHold)
            XCTAssertEqual(row?.blocked, client.blocked)
        }
    }

    func testAnIdNotInTheTableFindsNoneAndALaterClientWithTheSameIdReplacesTheEarlier() {
        let table = ClientTable([Client(id: "acme", name: "Old", emails: ["old@acme.example"]),
                                 Client(id: "acme", name: "New", emails: ["new@acme.example"])])
        XCTAssertEqual(table.row(id: "acme")?.client.name, "New")
        XCTAssertEqual(table.count, 1)
        XCTAssertNil(table.row(id: "acm"))
        XCTAssertNil(table.row(id: "acme "))
        XCTAssertNil(ClientTable([]).row(id: "acme"))
    }

    func testFortyThousandClientsAreEachFoundUnderTheirOwnId() {
        let table = ClientTable((0..<40_000).lazy.map { Client(id: "c\($0)", name: "Client \($0)", emails: ["ap\($0)@example.test"]) })
        XCTAssertEqual(table.count, 40_000)
        for number in stride(from: 0, to: 40_000, by: 7) {
            XCTAssertEqual(table.row(id: "c\(number)")?.emails, ["ap\(number)@example.test"])
        }
        XCTAssertNil(table.row(id: "c40000"))
    }

    func testAClientsAddressesAreWrittenInAPlanLineAsIfListed() {
        let client = Client(id: "acme", name: "Acme", emails: ["ap@acme.example", "a\"b\\c@acme.example", "ü\u{1}@acme.example"])
        let row = ClientTable([client]).row(id: "acme")!
        func line(_ recipients: PlanLine.Recipients) -> PlanLine {
            PlanLine(invoice: "INV-1", client: "acme", stage: "reminder", action: .email, daysOverdue: 3,
                     amountDue: Money(minorUnits: 100, currency: Currency(code: "EUR")!), recipients: recipients, reason: nil,
                     superseded: [], feeMinorUnits: 0)
        }
        XCTAssertEqual(PlanFormatter.jsonLine(line(.client(row))), PlanFormatter.jsonLine(line(.addresses(client.emails))))
        XCTAssertTrue(PlanFormatter.jsonLine(line(.client(row)))
            .hasSuffix(#""to":["ap@acme.example","a\"b\\c@acme.example","ü\u0001@acme.example"]}"#))
        XCTAssertEqual(line(.client(row)), line(.addresses(client.emails)))
        XCTAssertEqual(line(.client(row)).to, client.emails)
    }
}
