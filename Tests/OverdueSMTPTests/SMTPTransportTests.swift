import Foundation
import OverdueCore
@testable import OverdueSMTP
import XCTest

/// The libcurl transport against Postfix's smtp-sink on 127.0.0.1 (plain text is allowed to loopback).
final class SMTPTransportTests: XCTestCase {
    private var sink: Process?
    private var sinkOutput = Pipe()

    override func tearDown() {
        if let sink, sink.isRunning { sink.terminate(); sink.waitUntilExit() }
    }

    private func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts `smtp-sink OPTIONS 127.0.0.1:PORT` and waits until it accepts connections.
    private func startSink(_ options: [String]) throws -> Int {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/smtp-sink"), "postfix's smtp-sink is not installed")
        let port = freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/smtp-sink")
        process.arguments = (getuid() == 0 ? ["-u", "nobody"] : []) + options + ["127.0.0.1:\(port)", "16"]
        process.standardOutput = sinkOutput
        try process.run()
        sink = process
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return port }
            usleep(20_000)
        }
        throw XCTSkip("smtp-sink did not start")
    }

    private func transport(port: Int) throws -> CurlSMTPTransport {
        try CurlSMTPTransport(SMTPSettings(url: "smtp://127.0.0.1:\(port)", starttls: .none, username: nil, password: nil,
                                           caFile: nil, timeout: Interval(seconds: 5)), password: nil)
    }

    private func message(_ n: Int) -> OutgoingMessage {
        OutgoingMessage(envelopeFrom: "billing@janedoe.example", recipients: ["ap@acme.example"], messageID: "<\(n)@janedoe.example>",
                        data: Array("Subject: test \(n)\r\n\r\n.leading dot\r\nbody\r\n".utf8))
    }

    /// Stops the sink and returns its last `-c` counters: sessions ended (the readiness probe
    /// counts as one), QUIT commands, messages.
    private func stopSinkAndCount() throws -> (sessions: Int, quits: Int, messages: Int) {
        usleep(300_000) // let the sink see the QUIT and the close
        sink?.terminate()
        sink?.waitUntilExit()
        let output = String(decoding: sinkOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let last = try XCTUnwrap(output.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).last, output)
        var counters: [String: Int] = [:]
        for pair in last.split(separator: " ") {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { counters[String(parts[0])] = Int(parts[1]) }
        }
        return (counters["sess"] ?? -1, counters["quit"] ?? -1, counters["mesg"] ?? -1)
    }

    func testOneConnectionCarriesAWholeBatch() throws {
        let port = try startSink(["-c"])
        let transport = try transport(port: port)
        for n in 1...5 {
            guard case .delivered(let reply) = transport.send(message(n)) else { return XCTFail("message \(n) not delivered") }
            XCTAssertTrue(reply.hasPrefix("250"), reply)
        }
        transport.close()
        let counts = try stopSinkAndCount()
        XCTAssertEqual(counts.messages, 5)
        XCTAssertEqual(counts.sessions, 1 + 1, "one session for five messages (plus the readiness probe)")
        XCTAssertEqual(counts.quits, 1, "close() ends the session with QUIT")
    }

    func testCloseEndsTheSessionAndTheNextSendConnectsAfresh() throws {
        let port = try startSink(["-c"])
        let transport = try transport(port: port)
        XCTAssertEqual(transport.send(message(1)).reply.prefix(3), "250")
        transport.close()
        XCTAssertEqual(transport.send(message(2)).reply.prefix(3), "250")
        transport.close()
        let counts = try stopSinkAndCount()
        XCTAssertEqual(counts.messages, 2)
        XCTAssertEqual(counts.sessions, 2 + 1)
        XCTAssertEqual(counts.quits, 2)
    }

    func testAConnectionDroppedAfterTheFinalDotIsAmbiguousAndBeforeItTheServerIsUnavailable() throws {
        let afterDot = try transport(port: try startSink(["-q", "."]))
        guard case .ambiguous(let reply) = afterDot.send(message(1)) else { return XCTFail("not ambiguous") }
        XCTAssertTrue(reply.hasPrefix("no final reply after the message was sent"), reply)
        sink?.terminate()
        sink?.waitUntilExit()
        sinkOutput = Pipe()
        let atData = try transport(port: try startSink(["-q", "DATA"]))
        guard case .unavailable(.connection, _) = atData.send(message(2)) else { return XCTFail("not unavailable") }
    }

    func testEnvelopeAddressWithLineBreakIsRefusedBeforeConnecting() throws {
        let transport = try transport(port: freePort())
        var bad = message(1)
        bad.recipients = ["ap@acme.example\r\nRCPT TO:<evil@x.example>"]
        guard case .permanent(nil, let reply) = transport.send(bad) else { return XCTFail("not refused") }
        XCTAssertTrue(reply.hasPrefix("refused before sending"), reply)
    }

    func testPlainTextToANonLoopbackHostIsRefused() {
        XCTAssertThrowsError(try CurlSMTPTransport(SMTPSettings(url: "smtp://mail.example.com:25", starttls: .none, username: nil,
                                                                password: nil, caFile: nil, timeout: Interval(seconds: 5)), password: nil))
    }
}
