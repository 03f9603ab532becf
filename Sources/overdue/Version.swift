/// The release this binary is; the Debian package and `overdue --version` both read it here.
enum OverdueVersion {
    static let current = "0.2.0"
}
