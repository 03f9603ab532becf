import Foundation
import OverdueCore
@testable import OverdueSMTP
import XCTest

final class FileOutboxTransportTests: XCTestCase {
    func testEachMessageBecomesOneCompleteFileNamedByTimeAndMessageID() throws {
        let folder = NSTemporaryDirectory() + "overdue-outbox-\(UUID().uuidString)/nested"
        let transport = FileOutboxTransport(folder: folder, clock: FixedClock(Date(timeIntervalSince1970: 1_772_355_603)))
        let data = Array("Subject: x\r\n\r\nbody\r\n".utf8)
        let result = transport.send(OutgoingMessage(envelopeFrom: "a@b.example", recipients: ["c@d.example"],
                                                    messageID: "<0123abcd@janedoe.example>", data: data))
        let path = folder + "/20260301T090003Z-0123abcd.eml"
        XCTAssertEqual(result, .delivered(reply: "250 written to \(path)"))
        XCTAssertEqual(FileManager.default.contents(atPath: path).map(Array.init), data)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["20260301T090003Z-0123abcd.eml"])
    }

    func testUnwritableFolderIsAPermanentFailure() {
        let transport = FileOutboxTransport(folder: "/proc/overdue-cannot-write-here")
        guard case .permanent = transport.send(OutgoingMessage(envelopeFrom: "a@b.example", recipients: ["c@d.example"],
                                                              messageID: "<1@b.example>", data: [])) else {
            return XCTFail("expected a permanent failure")
        }
    }

    func testSecretErrorsNameTheSourceButNeverTheValue() throws {
        let path = NSTemporaryDirectory() + "overdue-secret-\(UUID().uuidString)"
        try "hunter2\nsecond line\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        XCTAssertThrowsError(try readPassword(.file(path))) { error in
            let message = (error as! OverdueError).message
            XCTAssertTrue(message.contains(path) && !message.contains("hunter2"), message)
        }
        try "hunter2\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        XCTAssertEqual(try readPassword(.file(path)), "hunter2")
        XCTAssertThrowsError(try readPassword(.file(path + "-missing"))) { error in
            XCTAssertEqual((error as! OverdueError).exitCode, .config)
        }
    }
}

final class SMTPSecretLocationTests: XCTestCase {
    func testACredentialNameIsLookedUpInTheCredentialsDirectoryElseBesideTheConfig() {
        let secret = SMTPSettings.Secret.credential(name: "smtp-password", besideConfig: "/etc/overdue/smtp-password")
        XCTAssertEqual(secret.path(environment: ["CREDENTIALS_DIRECTORY": "/run/credentials/overdue.service"]),
                       "/run/credentials/overdue.service/smtp-password")
        XCTAssertEqual(secret.path(environment: [:]), "/etc/overdue/smtp-password")
        XCTAssertEqual(secret.path(environment: ["CREDENTIALS_DIRECTORY": ""]), "/etc/overdue/smtp-password")
        XCTAssertEqual(SMTPSettings.Secret.file("/srv/pw").path(environment: ["CREDENTIALS_DIRECTORY": "/run/x"]), "/srv/pw")
        XCTAssertNil(SMTPSettings.Secret.environment("PW").path(environment: [:]))
    }
}
