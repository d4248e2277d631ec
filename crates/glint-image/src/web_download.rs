//! `web-download` imports: the server fetches a URL, so every target is
//! checked first (no SSRF): only operator-listed hosts, never a private,
//! loopback or link-local address unless the operator allows it, the
//! address pinned between the check and the fetch (no DNS rebinding), and no
//! redirects.

use std::net::{IpAddr, SocketAddr};

use futures_util::TryStreamExt;
use glint_store::ByteStream;

use crate::ImageError;

#[derive(Debug, Clone, Default)]
pub struct WebDownloadPolicy {
    /// `host` or `host:port` entries; empty disables web-download.
    pub allowed_hosts: Vec<String>,
    /// Allow loopback and private addresses (tests, labs).
    pub allow_private: bool,
}

/// A URL that passed the policy, with the address it resolved to.
#[derive(Debug, Clone)]
pub struct CheckedTarget {
    url: reqwest::Url,
    host: String,
    addr: SocketAddr,
}

pub struct Fetched {
    pub data: ByteStream,
    pub size: Option<u64>,
}

fn refuse(uri: &str, why: &str) -> ImageError {
    ImageError::BadRequest(format!("URI for web-download does not pass filtering: {uri} ({why})"))
}

/// Addresses a server must not be tricked into calling.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64/10, carrier-grade NAT
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
        }
    }
}

impl WebDownloadPolicy {
    pub async fn check(&self, uri: &str) -> Result<CheckedTarget, ImageError> {
        if self.allowed_hosts.is_empty() {
            return Err(ImageError::BadRequest(
                "Import method web-download is not enabled.".into(),
            ));
        }
        let url = reqwest::Url::parse(uri).map_err(|_| refuse(uri, "not a URL"))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(refuse(uri, "only http and https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(uri, "no credentials in URLs"));
        }
        let host = url.host_str().ok_or_else(|| refuse(uri, "no host"))?.to_owned();
        let port = url.port_or_known_default().ok_or_else(|| refuse(uri, "no port"))?;
        let listed = self
            .allowed_hosts
            .iter()
            .any(|h| *h == host || *h == format!("{host}:{port}"));
        if !listed {
            return Err(refuse(uri, "host not in the operator's allow-list"));
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
            .await
            .map_err(|_| refuse(uri, "host does not resolve"))?
            .collect();
        let addr = *addrs.first().ok_or_else(|| refuse(uri, "host does not resolve"))?;
        if !self.allow_private && addrs.iter().any(|a| is_internal(a.ip())) {
            return Err(refuse(uri, "internal address"));
        }
        Ok(CheckedTarget { url, host: bare, addr })
    }
}

impl CheckedTarget {
    pub async fn fetch(&self) -> Result<Fetched, ImageError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&self.host, self.addr)
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| ImageError::Internal(e.to_string()))?;
        let res = client
            .get(self.url.clone())
            .send()
            .await
            .map_err(|e| ImageError::BadRequest(format!("web-download of {} failed: {e}", self.url)))?;
        if !res.status().is_success() {
            return Err(ImageError::BadRequest(format!(
                "web-download of {} failed: the server answered {}",
                self.url,
                res.status()
            )));
        }
        let size = res.content_length();
        let data: ByteStream = Box::pin(res.bytes_stream().map_err(std::io::Error::other));
        Ok(Fetched { data, size })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "151.101.1.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn policy_refusals() {
        let off = WebDownloadPolicy::default();
        assert!(off.check("http://example.org/x").await.is_err());
        let strict = WebDownloadPolicy {
            allowed_hosts: vec!["127.0.0.1".into(), "localhost:8080".into()],
            allow_private: false,
        };
        for uri in [
            "ftp://127.0.0.1/x",
            "http://evil.example/x",
            "http://user:pw@127.0.0.1/x",
            "not a url",
            "http://127.0.0.1/x",
            "http://localhost:8080/x",
        ] {
            let err = strict.check(uri).await.unwrap_err();
            assert!(matches!(err, ImageError::BadRequest(_)), "{uri}");
        }
        let lab = WebDownloadPolicy {
            allowed_hosts: vec!["127.0.0.1".into()],
            allow_private: true,
        };
        assert!(lab.check("http://127.0.0.1/x").await.is_ok());
        assert!(lab.check("http://127.0.0.2/x").await.is_err(), "not listed");
    }
}
