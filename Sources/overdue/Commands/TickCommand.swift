import ArgumentParser

struct TickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tick", abstract: "(being built)")
    @OptionGroup var options: ConfigOption
    func run() throws { throw ExitCode(64) }
}
