import ArgumentParser
import Foundation
import OverdueCore

struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Manage a client: list, show, hold, release, block, unblock.",
        discussion: "A client on hold or blocked is never reminded; importing a new invoice for a blocked client warns.",
        subcommands: [ClientList.self, ClientShow.self, ClientHold.self, ClientRelease.self, ClientBlock.self, ClientUnblock.self]
    )
}

func clientJSON(_ client: Client) -> JSONValue {
    .object([
        ("id", .string(client.id)), ("name", .string(client.name)), ("emails", .strings(client.emails)),
        ("hold", .bool(client.onHold)), ("hold_reason", .optional(client.holdReason)),
        ("blocked", .bool(client.blocked)), ("block_reason", .optional(client.blockReason)),
    ])
}

struct ClientList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List clients.")
    @OptionGroup var options: ConfigOption
    @Option(help: "table or json.") var format: String = "table"

    func run() throws {
        try runReportingErrors {
            let format = try parseFormat(format, allowed: [.table, .json])
            let clients = try openLedger(try loadConfig(options)).clients()
            let out = Output()
            if format == .json {
                for client in clients { out.line(clientJSON(client).serialized) }
            } else {
                let rows = clients.map { c in
                    [c.id, c.name, c.emails.joined(separator: "; "), c.blocked ? "blocked" : (c.onHold ? "hold" : "active")]
                }
                for line in TextTable.lines(header: ["ID", "NAME", "EMAIL", "STATE"], rows: rows) { out.line(line) }
            }
            out.flush()
        }
    }
}

struct ClientShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a client and its invoices.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The client id.", transform: Identifier.nfc) var id: String
    @Option(help: "table or json.") var format: String = "table"

    func run() throws {
        try runReportingErrors {
            let format = try parseFormat(format, allowed: [.table, .json])
            let store = try openLedger(try loadConfig(options))
            guard let client = try store.client(id) else { throw OverdueError.data("client \(id): not found") }
            let invoices = try store.invoices(status: nil, clientID: id)
            if format == .json {
                guard case .object(var pairs) = clientJSON(client) else { return }
                pairs.append(("invoices", .array(invoices.map(invoiceJSON))))
                print(JSONValue.object(pairs).serialized)
                return
            }
            print("""
                client   \(client.id)
                name     \(client.name)
                email    \(client.emails.joined(separator: "; "))
                hold     \(client.onHold ? "yes\(client.holdReason.map { " (\($0))" } ?? "")" : "no")
                blocked  \(client.blocked ? "yes\(client.blockReason.map { " (\($0))" } ?? "")" : "no")
                """)
            let rows = invoices.map { [$0.number, $0.dueDate.description, $0.balance.description, $0.status.rawValue] }
            print("")
            for line in TextTable.lines(header: ["INVOICE", "DUE", "BALANCE", "STATUS"], rows: rows) { print(line) }
        }
    }
}

struct ClientHold: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Stop reminders for all of a client's invoices.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The client id.", transform: Identifier.nfc) var id: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?
    func run() throws { try applyChange(options, "client \(id): on hold") { try $0.setClientHold(id, onHold: true, reason: reason, context: $1) } }
}

struct ClientRelease: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Release a held client.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The client id.", transform: Identifier.nfc) var id: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?
    func run() throws { try applyChange(options, "client \(id): released") { try $0.setClientHold(id, onHold: false, reason: reason, context: $1) } }
}

struct ClientBlock: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "block", abstract: "Block a client: never reminded again; new invoices warn.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The client id.", transform: Identifier.nfc) var id: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?
    func run() throws { try applyChange(options, "client \(id): blocked") { try $0.setClientBlocked(id, blocked: true, reason: reason, context: $1) } }
}

struct ClientUnblock: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unblock", abstract: "Unblock a client.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The client id.", transform: Identifier.nfc) var id: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?
    func run() throws { try applyChange(options, "client \(id): unblocked") { try $0.setClientBlocked(id, blocked: false, reason: reason, context: $1) } }
}
