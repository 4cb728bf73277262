//! The SSRF guard: a scan must never be turned against internal addresses.
//! Names are resolved by our own resolver, which refuses loopback, private,
//! link-local, CGNAT, multicast, unspecified and IPv4-mapped forms of them
//! unless the site allows private targets; IP-literal URLs are checked
//! before any request (reqwest does not call a resolver for them). Every
//! redirect hop goes through the same checks.
//!
//! Names pinned in the register's `[resolve]` table are answered from it,
//! without DNS, and their address is trusted whatever it is: the operator
//! wrote it down (split-horizon intranets, tests). The trust goes with the
//! *name* only: a URL spelling the same address as an IP literal is
//! checked like any other, so a hostile page linking to
//! `http://127.0.0.1:8080/` gains nothing from a pin to 127.0.0.1.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// Why an address may not be contacted, or None when it may.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_v4(v4).map(|_| "an IPv4-mapped private address");
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("a private (unique local) address")
            } else if seg[0] & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if seg[0] == 0x64 && seg[1] == 0xff9b {
                // NAT64: the embedded IPv4 address decides.
                let v4 = Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                );
                refused_v4(v4)
            } else {
                None
            }
        }
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address (cloud metadata lives here)")
    } else if o[0] == 100 && (64..128).contains(&o[1]) {
        Some("a carrier-grade NAT address")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("the unspecified address")
    } else if ip.is_multicast() || ip.is_broadcast() || o[0] >= 240 {
        Some("a multicast or reserved address")
    } else {
        None
    }
}

/// Check a URL whose host is an IP literal (names are checked on resolution).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match refused(ip) {
        Some(why) => Err(blocked_message(&ip.to_string(), ip, why)),
        None => Ok(()),
    }
}

pub const BLOCKED_MARK: &str = "blocked target";

fn blocked_message(host: &str, ip: IpAddr, why: &str) -> String {
    format!("{BLOCKED_MARK}: {host} is {ip}, {why} (set allow_private = true to scan it)")
}

/// A resolver that answers pinned names from the register and refuses
/// other names resolving to internal addresses.
pub struct GuardedResolver {
    pub allow_private: bool,
    /// `[resolve]`: lower-case names without a trailing dot → address.
    pub pins: Arc<BTreeMap<String, IpAddr>>,
}

impl GuardedResolver {
    /// The pinned address of `host`, if the register pins it.
    pub fn pinned(&self, host: &str) -> Option<IpAddr> {
        pinned(&self.pins, host)
    }

    /// Resolve `host`: a pinned name to its pin (no DNS, trusted), any
    /// other name by DNS, keeping only addresses the guard allows. `Err`
    /// says why not (a [`BLOCKED_MARK`] message for a refused target).
    pub async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, LookupError> {
        if let Some(ip) = self.pinned(host) {
            return Ok(vec![SocketAddr::new(ip, 0)]);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
        if self.allow_private {
            return Ok(addrs);
        }
        let mut allowed = Vec::with_capacity(addrs.len());
        let mut first_refusal = None;
        for a in addrs {
            match refused(a.ip()) {
                None => allowed.push(a),
                Some(why) => {
                    first_refusal.get_or_insert((a.ip(), why));
                }
            }
        }
        if allowed.is_empty() {
            if let Some((ip, why)) = first_refusal {
                return Err(blocked_message(host, ip, why).into());
            }
        }
        Ok(allowed)
    }
}

/// Why a name was not resolved (the DNS error as it came, or a
/// [`BLOCKED_MARK`] message).
pub type LookupError = Box<dyn std::error::Error + Send + Sync>;

/// The pinned address of `host` in `pins` (case and a trailing dot ignored).
pub fn pinned(pins: &BTreeMap<String, IpAddr>, host: &str) -> Option<IpAddr> {
    if pins.is_empty() {
        return None;
    }
    let host = host.trim_end_matches('.');
    match pins.get(host) {
        Some(ip) => Some(*ip),
        None => pins.get(&host.to_ascii_lowercase()).copied(),
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = GuardedResolver {
            allow_private: self.allow_private,
            pins: self.pins.clone(),
        };
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = this.lookup(&host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(refused(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["1.2.3.4", "220.181.38.148", "2400:da00::6666"] {
            assert!(refused(ip.parse().unwrap()).is_none(), "{ip}");
        }
        let url = Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
        assert!(check_url(&url, false)
            .unwrap_err()
            .starts_with(BLOCKED_MARK));
        assert!(check_url(&url, true).is_ok());
    }

    fn resolver(allow_private: bool) -> GuardedResolver {
        let pins = BTreeMap::from([
            (
                "old-partner.example".to_string(),
                "127.0.0.18".parse().unwrap(),
            ),
            ("intranet.example".to_string(), "10.1.2.3".parse().unwrap()),
        ]);
        GuardedResolver {
            allow_private,
            pins: Arc::new(pins),
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn pinned_names_resolve_to_their_pin_without_dns_and_are_trusted() {
        let r = resolver(false);
        // `.example` names do not exist in DNS: an answer can only come
        // from the pin. Loopback and private pins are allowed without
        // allow_private.
        let got = block_on(r.lookup("old-partner.example")).unwrap();
        assert_eq!(got, vec!["127.0.0.18:0".parse::<SocketAddr>().unwrap()]);
        let got = block_on(r.lookup("Intranet.Example.")).unwrap();
        assert_eq!(got[0].ip(), "10.1.2.3".parse::<IpAddr>().unwrap());
        assert_eq!(
            r.pinned("OLD-PARTNER.example"),
            Some("127.0.0.18".parse().unwrap())
        );
        assert_eq!(r.pinned("partner.example"), None);
    }

    #[test]
    fn names_not_pinned_stay_under_the_guard() {
        // An address written as a name is parsed, not looked up: no DNS.
        let r = resolver(false);
        let err = block_on(r.lookup("127.0.0.18")).unwrap_err().to_string();
        assert!(err.starts_with(BLOCKED_MARK), "{err}");
        let err = block_on(r.lookup("169.254.169.254"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("link-local"), "{err}");
        assert!(block_on(r.lookup("1.2.3.4")).is_ok());
        assert!(block_on(resolver(true).lookup("127.0.0.1")).is_ok());
        // The pin trusts the name, not the address: an IP-literal URL of
        // a pinned address is still refused.
        let url = Url::parse("http://127.0.0.18/").unwrap();
        assert!(check_url(&url, false).is_err());
    }
}
