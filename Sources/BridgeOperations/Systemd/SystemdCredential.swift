import Foundation

/// A credential systemd hands the service (`LoadCredential=NAME:PATH` in the unit): a file
/// `$CREDENTIALS_DIRECTORY/NAME`, readable by the service alone, outside its environment and
/// command line.
public enum SystemdCredential {
    /// The credential's text with surrounding whitespace removed; nil when systemd passed no
    /// credentials directory or none of that name. Throws when the file is there but unreadable.
    public static func read(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else { return nil }
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw CredentialError(description: "cannot read the systemd credential \(path): \(error.localizedDescription)")
        }
    }
}

/// A credential file that exists but cannot be read.
public struct CredentialError: Error, CustomStringConvertible {
    public var description: String
}
