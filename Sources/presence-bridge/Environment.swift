import ArgumentParser
import Foundation

/// An option's value: the command line first, then the environment variable, then the default.
func setting<Value: LosslessStringConvertible>(_ flag: Value?, _ variable: String, default fallback: Value) throws -> Value {
    if let flag { return flag }
    guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return fallback }
    guard let value = Value(text) else {
        throw ValidationError("\(variable)='\(text)' is not a valid value")
    }
    return value
}

/// An optional text option: the command line first, then the environment variable.
func setting(_ flag: String?, _ variable: String) -> String? {
    if let flag { return flag }
    guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return nil }
    return text
}
