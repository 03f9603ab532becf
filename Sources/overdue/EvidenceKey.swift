import Crypto
import Foundation
import OverdueCore
import OverdueSMTP

/// The installation's Ed25519 signing key for evidence packets: `evidence-signing-key` in the
/// state directory (the ledger's folder), base64 of the raw private key, mode 0600, created on
/// first use. Refused, like a password file, when others than its owner may read it.
enum EvidenceKey {
    static let fileName = "evidence-signing-key"

    static func path(for config: Config) -> String {
        // A ledger on PostgreSQL has no folder here: the key lives beside the config file.
        let database = config.daemon.database.hasPrefix("postgres") && config.daemon.database.contains("://")
            ? config.path : config.daemon.database
        return ((database as NSString).deletingLastPathComponent as NSString).appendingPathComponent(fileName)
    }

    static func loadOrCreate(_ config: Config) throws -> Curve25519.Signing.PrivateKey {
        let path = path(for: config)
        if FileManager.default.fileExists(atPath: path) { return try load(path) }
        let key = Curve25519.Signing.PrivateKey()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            // Another process created it first: use theirs.
            if errno == EEXIST { return try load(path) }
            throw OverdueError(.cannotCreate, "\(path): cannot create the evidence signing key: \(String(cString: strerror(errno)))")
        }
        let text = Array((key.rawRepresentation.base64EncodedString() + "\n").utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == text.count, synced else {
            unlink(path)
            throw OverdueError(.cannotCreate, "\(path): cannot write the evidence signing key")
        }
        return key
    }

    private static func load(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        let data: Data
        do {
            data = try readSecretFile(path)
        } catch {
            throw OverdueError(.noPermission, "\(path): \(error.reason)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw OverdueError(.dataError, "\(path): not an overdue evidence signing key (base64 of 32 bytes)")
        }
        return key
    }
}
