/// TLS settings for an `mqtts://` connection.
///
/// Without a CA file the system's default trust store is used; certificate and key go together
/// (client-certificate authentication) or not at all.
public struct MQTTTLSConfiguration: Sendable, Hashable {
    /// PEM file of the certificate authorities trusted to sign the broker's certificate.
    public var caFile: String?
    /// PEM file of the client certificate, for brokers that authenticate clients by certificate.
    public var certificateFile: String?
    /// PEM file of the client certificate's private key (unencrypted).
    public var keyFile: String?

    /// TLS settings; all optional.
    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
