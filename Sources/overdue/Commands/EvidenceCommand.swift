import ArgumentParser
import Foundation
import OverdueCore
import OverdueSQLite
import ZIPFoundation

struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Write an invoice's signed proof-of-notice packet, check one offline, or print the signing key.",
        discussion: """
            overdue evidence INVOICE [--out FILE.zip] writes statement.html, messages/*.eml (each byte for
            byte what the mail server accepted), audit.jsonl (the invoice's audit entries with their
            hashes, and the audit witnesses covering them) and manifest.json (the SHA-256 of every file), signed with this installation's
            Ed25519 key (manifest.sig). The key is created on first use beside the ledger
            (evidence-signing-key, mode 0600); overdue evidence key prints its public half.
            """,
        subcommands: [EvidenceExportCommand.self, EvidenceVerifyCommand.self, EvidenceKeyCommand.self],
        defaultSubcommand: EvidenceExportCommand.self
    )
}

struct EvidenceExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the packet of one invoice (the default when no subcommand is given).")

    @OptionGroup var options: ConfigOption
    @Argument(help: ArgumentHelp("The invoice.", valueName: "INVOICE"), transform: Identifier.nfc) var invoice: String
    @Option(help: ArgumentHelp("Where to write the packet (default: evidence-INVOICE.zip here).", valueName: "FILE.zip")) var out: String?

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let store = try openLedger(config)
            defer { store.close() }
            guard let context = try store.invoiceContext(invoice) else { throw OverdueError.data("invoice \(invoice): not found") }
            var audit: [AuditEntry] = []
            try store.auditEntries(AuditFilter(invoice: invoice)) { audit.append($0) }
            var witnessEntries: [AuditEntry] = []
            try store.auditEntries(AuditFilter(event: AuditEvent.auditWitnessed.rawValue)) { witnessEntries.append($0) }
            let witnesses = witnessEntries.compactMap(AuditWitness.Record.init)
            let key = try EvidenceKey.loadOrCreate(config)
            let now = commandClock.now()
            let today = LocalDateTime(now, in: config.daemon.timezone).date
            let claim = try config.interest.map { policy throws(OverdueError) in
                try InterestClaim.compute(policy, invoice: context.invoice, payments: context.payments, asOf: today).get(invoice: invoice)
            }
            let statement = EvidenceStatement.html(
                business: config.business, client: context.client, invoice: context.invoice,
                payments: context.payments, fees: try store.fees(invoice: invoice),
                notices: EvidenceStatement.notices(from: audit, dispatches: context.dispatches), generatedAt: now,
                claim: claim, interestBasis: config.interest?.label,
                audit: audit, witnesses: config.auditWitness == nil && witnesses.isEmpty ? nil : witnesses)
            let files = try EvidencePacket.build(invoice: invoice, createdAt: now, statement: statement,
                                                 messages: try store.sentMessages(invoice: invoice),
                                                 audit: EvidenceWitnesses.auditPart(audit, witnessEntries: witnessEntries),
                                                 signingKey: key)
            let path = out ?? "evidence-\(String(invoice.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) ? Character($0) : "_" })).zip"
            try EvidenceZip.write(files, to: path, modified: now)
            let manifest = files.first { $0.name == EvidencePacket.manifestName }?.data ?? []
            try store.appendAudit([AuditRecord(.evidenceExported, invoice: invoice, client: context.client.id, details: [
                ("file", .string(path)), ("files", .strings(files.map(\.name))), ("manifest_sha256", .string(sha256Hex(manifest))),
                ("public_key", .string(EvidencePacket.publicKeyText(key.publicKey))),
            ])], context: changeNow())
            let out = Output()
            out.line("wrote \(path): \(files.count) files, signed by \(EvidencePacket.publicKeyText(key.publicKey))")
            for file in files { out.line("  \(sha256Hex(file.data))  \(file.name)") }
            out.flush()
        }
    }
}

struct EvidenceVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a packet offline: signature, every file's hash, every message against its audit entry, every entry's hash.",
        discussion: "Needs no ledger and no config. Exit 0 when intact; 65 with one line per problem (file: reason) when not.")

    @Argument(help: ArgumentHelp("The packet.", valueName: "FILE.zip")) var file: String
    @Option(help: ArgumentHelp("The signer's public key (as overdue evidence key prints it), or a file holding it; without it the manifest's own key is used.", valueName: "KEY"))
    var key: String?

    func run() throws {
        try runReportingErrors {
            var trusted = key?.trimmingCharacters(in: .whitespacesAndNewlines)
            if let given = trusted, given.contains("/"), let text = try? String(contentsOfFile: given, encoding: .utf8) {
                trusted = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let files = try EvidenceZip.read(file)
            let report = EvidenceVerifier.verify(files: files.contents, trustedKey: trusted)
            let problems = files.problems + report.problems
            guard problems.isEmpty else {
                throw OverdueError(.dataError, "\(file): \(problems[0])", details: problems.dropFirst().map { "\(file): \($0)" })
            }
            let signer = report.publicKey ?? "-"
            print("\(file): OK: invoice \(report.invoice ?? "-"), \(report.files) files, \(report.auditEntries) audit entries, "
                + "\(report.messages) messages; signed by \(signer)\(trusted == nil ? " (the key named in the packet; pin it with --key)" : "")")
        }
    }
}

struct EvidenceKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Print this installation's evidence public key (base64), creating the key pair on first use.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        try runReportingErrors {
            let key = try EvidenceKey.loadOrCreate(try loadConfig(options))
            print(EvidencePacket.publicKeyText(key.publicKey))
        }
    }
}

/// The packet as a zip (ZIPFoundation), written whole to a temporary file and renamed, so a
/// failed export leaves no half-written packet.
enum EvidenceZip {
    static func write(_ files: [EvidenceFile], to path: String, modified: Date) throws {
        let data: Data
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for file in files {
                let bytes = Data(file.data)
                try archive.addEntry(with: file.name, type: .file, uncompressedSize: Int64(bytes.count), modificationDate: modified,
                                     compressionMethod: .deflate) { position, size in
                    bytes.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            guard let written = archive.data else { throw OverdueError(.cannotCreate, "\(path): the zip could not be built") }
            data = written
        } catch let error as OverdueError {
            throw error
        } catch {
            throw OverdueError(.cannotCreate, "\(path): the zip could not be built: \(error)")
        }
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: data),
              rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw OverdueError(.cannotCreate, "\(path): cannot write: \(reason)")
        }
    }

    /// Every file of the zip, read without its CRC check, so an edited file is named by the
    /// verifier's own hash check rather than lost in a zip error.
    static func read(_ path: String) throws -> (contents: [String: [UInt8]], problems: [EvidenceProblem]) {
        guard FileManager.default.fileExists(atPath: path) else { throw OverdueError(.noInput, "\(path): no such file") }
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw OverdueError(.dataError, "\(path): not a zip archive")
        }
        var contents: [String: [UInt8]] = [:]
        var problems: [EvidenceProblem] = []
        for entry in archive where entry.type == .file {
            var bytes: [UInt8] = []
            do {
                _ = try archive.extract(entry, skipCRC32: true) { bytes.append(contentsOf: $0) }
            } catch {
                problems.append(EvidenceProblem(file: entry.path, reason: "cannot be read from the zip: \(error)"))
                continue
            }
            if contents[entry.path] != nil { problems.append(EvidenceProblem(file: entry.path, reason: "appears twice in the zip")) }
            contents[entry.path] = bytes
        }
        return (contents, problems)
    }
}
