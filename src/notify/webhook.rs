//! The HTTP client that delivers webhooks, held to `domain::net::WebhookPolicy` on the address
//! it actually connects to. Host names go through [`GuardedResolver`], which drops disallowed
//! addresses after every lookup, so a name that resolved to a public address at registration
//! and to 127.0.0.1 now (DNS rebinding) is refused. reqwest does not resolve address literals,
//! so [`check_target`] checks those before a request is made.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::net::{Refusal, WebhookPolicy};

type Lookup = Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;

/// Resolves with the system resolver (through Tokio), then keeps only allowed addresses.
pub struct GuardedResolver {
    policy: Arc<WebhookPolicy>,
    lookup: fn(String) -> Lookup,
}

fn system_lookup(name: String) -> Lookup {
    Box::pin(async move {
        Ok(tokio::net::lookup_host((name.as_str(), 0))
            .await?
            .map(|a| a.ip())
            .collect())
    })
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let lookup = (self.lookup)(name.as_str().to_string());
        Box::pin(async move {
            let addresses = lookup.await?;
            let allowed = policy.filter_resolved(addresses, false)?;
            let addrs: reqwest::dns::Addrs =
                Box::new(allowed.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The webhook client: 10 s per delivery, redirects not followed (a 3xx is recorded as its
/// status; following it would leave the checked address), no proxy from the environment (the
/// resolver must see the receiver's name, not a proxy's), and the guarded resolver.
pub fn client(policy: &WebhookPolicy) -> Result<reqwest::Client, String> {
    client_with(policy, system_lookup)
}

fn client_with(
    policy: &WebhookPolicy,
    lookup: fn(String) -> Lookup,
) -> Result<reqwest::Client, String> {
    let resolver = GuardedResolver {
        policy: Arc::new(policy.clone()),
        lookup,
    };
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(resolver))
        .build()
        .map_err(|e| format!("the webhook client could not be built: {e}"))
}

/// Checks a stored webhook URL before it is used: scheme, and the address when the host is a
/// literal (reqwest connects to those without asking the resolver).
pub fn check_target(policy: &WebhookPolicy, url: &str) -> Result<(), Refusal> {
    let url = url::Url::parse(url).map_err(|_| Refusal::Format)?;
    policy.check_url(&url).map(|_| ())
}

/// The delivery log's text for a failed request: the response status, or one generic phrase.
/// Refused, reset and timed-out connections all read the same, so the log cannot be used to
/// tell open ports from closed ones.
pub fn describe_error(error: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            return refusal.to_string();
        }
        source = e.source();
    }
    match error.status() {
        Some(status) => format!("HTTP {status}"),
        None => "connection failed".into(),
    }
}

/// `Liaison-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — the scheme
/// Stripe uses: the timestamp lets receivers refuse replays.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::net::HostRule;

    fn rebinding(_: String) -> Lookup {
        Box::pin(async { Ok(vec!["127.0.0.1".parse().unwrap()]) })
    }

    /// A listener on 127.0.0.1 that counts connections.
    async fn listener() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let (mut request, mut chunk) = (Vec::new(), [0u8; 1024]);
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            }
        });
        (port, count)
    }

    #[tokio::test]
    async fn a_name_that_now_resolves_to_loopback_is_not_connected() {
        let (port, count) = listener().await;
        let policy = WebhookPolicy {
            allow_http: true,
            allowed: vec![],
        };
        let client = client_with(&policy, rebinding).unwrap();
        let error = client
            .post(format!("http://public-at-registration.example:{port}/hook"))
            .send()
            .await
            .err()
            .unwrap();
        assert_eq!(describe_error(&error), "address not allowed");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);

        // The same name reaches the listener once its range is allowlisted.
        let policy = WebhookPolicy {
            allow_http: true,
            allowed: vec![HostRule::parse("127.0.0.0/8").unwrap()],
        };
        let response = client_with(&policy, rebinding)
            .unwrap()
            .post(format!("http://public-at-registration.example:{port}/hook"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn closed_ports_and_timeouts_read_alike() {
        // A port that was open and is closed now: connection refused.
        let closed = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        let policy = WebhookPolicy {
            allow_http: true,
            allowed: vec![HostRule::parse("127.0.0.1").unwrap()],
        };
        let error = client(&policy)
            .unwrap()
            .post(format!("http://127.0.0.1:{closed}/"))
            .send()
            .await
            .err()
            .unwrap();
        assert_eq!(describe_error(&error), "connection failed");
    }

    #[test]
    fn literal_targets_are_checked_before_sending() {
        let policy = WebhookPolicy {
            allow_http: true,
            allowed: vec![],
        };
        for url in [
            "http://127.0.0.1:8080/",
            "http://0x7f000001/",
            "http://[::1]/",
            "http://169.254.169.254/",
        ] {
            assert_eq!(
                check_target(&policy, url),
                Err(Refusal::AddressNotAllowed),
                "{url}"
            );
        }
        assert_eq!(check_target(&policy, "https://cro.example/h"), Ok(()));
        assert_eq!(
            check_target(&WebhookPolicy::default(), "http://cro.example/h"),
            Err(Refusal::Scheme)
        );
    }
}

#[cfg(test)]
mod signature_tests {
    use super::*;

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let a = signature("whsec_test_secret_123", 1_700_000_000, "{\"a\":1}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(
            a,
            signature("whsec_test_secret_123", 1_700_000_001, "{\"a\":1}")
        );
        assert_ne!(
            a,
            signature("whsec_test_secret_123", 1_700_000_000, "{\"a\":2}")
        );
        assert_ne!(
            a,
            signature("another_secret_4567", 1_700_000_000, "{\"a\":1}")
        );
    }
}
