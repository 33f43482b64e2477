//! The key outgoing mail is DKIM-signed with (`serve --dkim-key`), read from its file.

/// A DKIM signing key (`serve --dkim-key`): every mail we send is signed with it, for the
/// domain of its From address unless a domain is given.
#[derive(Clone)]
pub struct DkimKey {
    /// The key as lettre takes it: PKCS#1 PEM for RSA, the base64 seed for Ed25519.
    pub key: String,
    pub algorithm: DkimAlgorithm,
    pub selector: String,
    pub domain: Option<String>,
}

/// PKCS#8's wrapping of an Ed25519 private key, before its seed.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// The signing algorithm of a [`DkimKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DkimAlgorithm {
    Rsa,
    Ed25519,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DkimKey({:?}, selector {:?}, domain {:?})", self.algorithm, self.selector, self.domain)
    }
}

impl DkimKey {
    /// Reads a key file: an RSA key as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), or an Ed25519 key
    /// as PKCS#8 PEM (`openssl genpkey -algorithm ed25519`) or as its base64 seed. The binary
    /// tries the key as its mail sender takes it at start, so a bad file stops the server then,
    /// not at the first mail.
    pub fn load(path: &std::path::Path, selector: &str, domain: Option<String>) -> anyhow::Result<DkimKey> {
        use base64::Engine;
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let (key, algorithm) = if text.contains("BEGIN RSA PRIVATE KEY") {
            (text.clone(), DkimAlgorithm::Rsa)
        } else {
            let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            let bytes =
                b64.decode(body.trim()).map_err(|e| anyhow::anyhow!("{}: not PEM or base64: {e}", path.display()))?;
            match bytes.len() {
                32 => (b64.encode(&bytes), DkimAlgorithm::Ed25519),
                // PKCS#8 for Ed25519: a fixed 16-byte prefix (which names the algorithm), then
                // the 32-byte seed.
                48 if bytes[..16] == ED25519_PKCS8_PREFIX => (b64.encode(&bytes[16..]), DkimAlgorithm::Ed25519),
                _ => anyhow::bail!(
                    "{}: not a DKIM key this server reads (RSA as PKCS#1 PEM: `openssl rsa -traditional`; \
                     Ed25519 as PKCS#8 PEM or a base64 seed)",
                    path.display()
                ),
            }
        };
        let selector = selector.trim().to_string();
        if selector.is_empty() || !selector.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            anyhow::bail!("the DKIM selector {selector:?} is not a DNS label");
        }
        Ok(DkimKey { key, algorithm, selector, domain })
    }
}
