//! Certificate checks that can say *why* a chain failed.
//!
//! Many government sites send only their own certificate and not the
//! intermediate that links it to a root. Browsers repair that by fetching
//! the intermediate named in the certificate (its AIA "CA issuers" URL), so
//! the site looks fine in a browser; rustls, like most non-browser clients,
//! does not. The platform verifier only says "unknown issuer", so we wrap
//! it and note what the server sent, to tell an incomplete chain apart from
//! an untrusted CA or a self-signed certificate (docs/contract.md#site-level-findings: "an incomplete chain
//! that browsers accept is said so").

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, Mutex};

/// What the last failed verification saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainNote {
    /// Only the server's certificate was sent, and it names where its
    /// issuer's certificate can be fetched: the chain is incomplete.
    MissingIntermediate {
        ca_issuers: String,
    },
    SelfSigned,
    /// Issued by a CA this machine does not trust.
    UnknownCa,
}

/// The note of the last "unknown issuer" failure of a client.
pub type NoteSlot = Arc<Mutex<Option<ChainNote>>>;

#[derive(Debug)]
struct ChainAware {
    inner: Arc<dyn ServerCertVerifier>,
    note: NoteSlot,
}

impl ServerCertVerifier for ChainAware {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) = &result {
            let note = if self_signed(end_entity) {
                ChainNote::SelfSigned
            } else {
                match (intermediates.is_empty(), ca_issuers(end_entity)) {
                    (true, Some(url)) => ChainNote::MissingIntermediate { ca_issuers: url },
                    _ => ChainNote::UnknownCa,
                }
            };
            if let Ok(mut slot) = self.note.lock() {
                *slot = Some(note);
            }
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure_tls = true`: any certificate, but handshake signatures are
/// still checked.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS client configuration: the platform's roots plus `extra_roots`
/// (from `ca_file`), or any certificate with `insecure`.
pub fn client_config(
    insecure: bool,
    extra_roots: Vec<CertificateDer<'static>>,
    note: NoteSlot,
) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = if insecure {
        Arc::new(AcceptAny(provider.clone()))
    } else {
        Arc::new(ChainAware {
            inner: platform_verifier(extra_roots, &provider)?,
            note,
        })
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The platform's verifier, with `extra_roots` too. Loading the system's
/// roots parses every certificate file, and every site's clients (its
/// crawl, its outbound checks) made its own: one without extra roots is
/// shared while any client holds it, so a scan loads them once and the
/// next scan (`serve` runs for months) loads them afresh.
fn platform_verifier(
    extra_roots: Vec<CertificateDer<'static>>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    static SHARED: Mutex<std::sync::Weak<rustls_platform_verifier::Verifier>> =
        Mutex::new(std::sync::Weak::new());
    let load = |extra_roots| {
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider.clone())
            .map(Arc::new)
            .map_err(|e| format!("cannot load the system's certificate roots: {e}"))
    };
    if !extra_roots.is_empty() {
        return Ok(load(extra_roots)?);
    }
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(verifier) = shared.upgrade() {
        return Ok(verifier);
    }
    let verifier = load(Vec::new())?;
    *shared = Arc::downgrade(&verifier);
    Ok(verifier)
}

/// Read one DER element at `at`: (tag, content start, end).
fn element(der: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *der.get(at)?;
    let first = *der.get(at + 1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *der.get(at + 2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let start = at + header;
    let end = start.checked_add(len)?;
    (end <= der.len()).then_some((tag, start, end))
}

/// The issuer and subject names of a certificate, as DER.
fn names(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, cert, _) = element(der, 0)?; // Certificate
    let (_, tbs, _) = element(der, cert)?; // TBSCertificate
    let mut at = tbs;
    let (tag, _, end) = element(der, at)?;
    if tag == 0xA0 {
        at = end; // explicit version
    }
    let (_, _, end) = element(der, at)?; // serial
    let (_, _, end) = element(der, end)?; // signature algorithm
    let (_, issuer_start, issuer_end) = element(der, end)?;
    let (_, _, validity_end) = element(der, issuer_end)?;
    let (_, subject_start, subject_end) = element(der, validity_end)?;
    Some((
        &der[issuer_start..issuer_end],
        &der[subject_start..subject_end],
    ))
}

fn self_signed(cert: &CertificateDer<'_>) -> bool {
    names(cert.as_ref()).is_some_and(|(issuer, subject)| issuer == subject)
}

/// The AIA "CA issuers" URL of a certificate, if it names one.
fn ca_issuers(cert: &CertificateDer<'_>) -> Option<String> {
    // id-ad-caIssuers (1.3.6.1.5.5.7.48.2), then the [6] URI it points to.
    const OID: [u8; 10] = [0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let der = cert.as_ref();
    let at = der.windows(OID.len()).position(|w| w == OID)? + OID.len();
    let (tag, start, end) = element(der, at)?;
    (tag == 0x86).then(|| String::from_utf8_lossy(&der[start..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> CertificateDer<'static> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tls/");
        CertificateDer::from(std::fs::read(format!("{path}{name}")).unwrap())
    }

    #[test]
    fn reads_names_and_the_ca_issuers_url() {
        let leaf = fixture("chain-leaf.der");
        assert!(!self_signed(&leaf));
        assert_eq!(
            ca_issuers(&leaf).as_deref(),
            Some("http://ca.example.gov.cn/intermediate.crt")
        );
        assert_eq!(ca_issuers(&fixture("server.der")), None);
        let intermediate = fixture("chain-intermediate.der");
        let (issuer, subject) = names(intermediate.as_ref()).unwrap();
        assert_ne!(issuer, subject);
    }
}
