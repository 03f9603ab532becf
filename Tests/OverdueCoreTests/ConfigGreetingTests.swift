import XCTest
@testable import OverdueCore

final class ConfigGreetingTests: XCTestCase {
    private func settings(ehlo: String?) -> SMTPSettings {
        SMTPSettings(url: "smtp://mail.example.com:587", starttls: .required, username: nil, password: nil, caFile: nil,
                     timeout: Interval(seconds: 30), ehloName: ehlo)
    }

    func testConfiguredNameWinsOverTheHostsNames() {
        XCTAssertEqual(settings(ehlo: "mail.janedoe.example").greetingName(hostNames: ["vm.example.net", "vm"]), "mail.janedoe.example")
    }

    func testDefaultIsTheFirstFullyQualifiedHostNameThenAnyValidOneThenLocalhost() {
        let unset = settings(ehlo: nil)
        XCTAssertEqual(unset.greetingName(hostNames: ["vm.example.net.", "vm"]), "vm.example.net")
        XCTAssertEqual(unset.greetingName(hostNames: ["vm", "vm.example.net"]), "vm.example.net")
        XCTAssertEqual(unset.greetingName(hostNames: ["bad name", "vm"]), "vm")
        XCTAssertEqual(unset.greetingName(hostNames: []), "localhost")
    }

    func testADotlessNameIsWarnedAboutAndAQualifiedOneIsNot() {
        XCTAssertNil(settings(ehlo: "mail.janedoe.example").greetingWarning(for: "mail.janedoe.example"))
        let configured = try? XCTUnwrap(settings(ehlo: "vm").greetingWarning(for: "vm"))
        XCTAssertTrue(configured?.hasPrefix("warning: smtp.ehlo_name: \"vm\" has no dot") ?? false, configured ?? "")
        let fallback = settings(ehlo: nil).greetingWarning(for: "vm") ?? ""
        XCTAssertTrue(fallback.contains("smtp.ehlo_name is not set and this host's name \"vm\" has no dot"), fallback)
    }
}
