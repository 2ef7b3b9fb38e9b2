//! Which network addresses a webhook may reach. A partner registers the URL, so without these
//! rules a CRO key could make the service POST to its own loopback port, the cloud metadata
//! address or any host on the internal network (server-side request forgery). The rules are
//! checked when a URL is registered and again on the address actually connected at delivery,
//! so a name that later resolves elsewhere (DNS rebinding) is still refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is. Only `Public` is reachable by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Unspecified,
    Loopback,
    /// RFC 1918 and IPv6 unique local (fc00::/7).
    Private,
    /// 169.254.0.0/16 (cloud metadata lives at 169.254.169.254) and fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedAddressSpace,
    Multicast,
    Broadcast,
    /// Documentation, benchmarking, reserved and other special-purpose ranges.
    Reserved,
}

/// Classifies an address. IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64 and 6to4)
/// are classified by the embedded address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip.is_broadcast() => AddressClass::Broadcast,
        (0, 0, 0) if ip.is_unspecified() => AddressClass::Unspecified,
        (0, _, _) => AddressClass::Reserved, // "this network"
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) => AddressClass::Private,
        (172, 16..=31, _) => AddressClass::Private,
        (192, 168, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (100, 64..=127, _) => AddressClass::SharedAddressSpace,
        (224..=239, _, _) => AddressClass::Multicast,
        (240..=255, _, _) => AddressClass::Reserved,
        // IETF protocol assignments, documentation, benchmarking, 6to4 relay anycast.
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (192, 88, 99) => {
            AddressClass::Reserved
        }
        (198, 18..=19, _) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let embedded_low =
        || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        _ if ip.is_unspecified() => AddressClass::Unspecified,
        _ if ip.is_loopback() => AddressClass::Loopback,
        // IPv4-compatible (deprecated, ::a.b.c.d)
        [0, 0, 0, 0, 0, 0, _, _] => AddressClass::Reserved,
        // NAT64 well-known prefix 64:ff9b::/96: the embedded IPv4 address decides.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => classify_v4(embedded_low()),
        // 6to4 2002::/16 embeds an IPv4 address in bits 16..48.
        [0x2002, hi, lo, ..] => classify_v4(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        [first, ..] if first & 0xff00 == 0xff00 => AddressClass::Multicast,
        [first, ..] if first & 0xfe00 == 0xfc00 => AddressClass::Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        // Deprecated site-local fec0::/10.
        [first, ..] if first & 0xffc0 == 0xfec0 => AddressClass::Private,
        // Documentation 2001:db8::/32, Teredo 2001::/32 (hides its client address), ORCHID,
        // benchmarking 2001:2::/48.
        [0x2001, 0x0db8, ..] | [0x2001, 0, ..] | [0x2001, 0x0002, 0, ..] => AddressClass::Reserved,
        [0x2001, second, ..] if second & 0xfff0 == 0x0010 || second & 0xfff0 == 0x0020 => {
            AddressClass::Reserved
        }
        // Only global unicast (2000::/3) is public; the rest is reserved or special.
        [first, ..] if first & 0xe000 == 0x2000 => AddressClass::Public,
        _ => AddressClass::Reserved,
    }
}

/// One entry of `LIAISON_WEBHOOK_ALLOWED_HOSTS`: a host name, or an address range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRule {
    /// A host name (lower case, no trailing dot): it may be registered without the
    /// registration-time address check. Its addresses are still checked when connecting.
    Name(String),
    /// An address or CIDR range: addresses inside it may be connected to even when private.
    Range { network: IpAddr, prefix: u8 },
}

impl HostRule {
    /// `hooks.corp.example`, `10.20.0.0/16`, `127.0.0.1`, `fd00::/8`, `[::1]`.
    pub fn parse(text: &str) -> Result<HostRule, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        if let Ok(network) = addr.parse::<IpAddr>() {
            let max = if network.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => match p.parse::<u8>() {
                    Ok(p) if p <= max => p,
                    _ => return Err(format!("{text:?}: the prefix length must be 0 to {max}")),
                },
            };
            return Ok(HostRule::Range { network, prefix });
        }
        let name = text.trim_end_matches('.').to_ascii_lowercase();
        let valid = prefix.is_none()
            && !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if valid {
            Ok(HostRule::Name(name))
        } else {
            Err(format!(
                "{text:?} is neither a host name nor an address range"
            ))
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let HostRule::Range { network, prefix } = self else {
            return false;
        };
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        match (network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Why a webhook URL or address is refused. The `Display` text is what the delivery log and
/// the API's field error show: it never names ports or operating-system errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute http(s) URL with a host, or with user info.
    Format,
    /// `http` while only `https` is allowed.
    Scheme,
    /// The host is, or resolves to, an address that is not allowed.
    AddressNotAllowed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Format => "an absolute https URL",
            Refusal::Scheme => "must use https",
            Refusal::AddressNotAllowed => "address not allowed",
        })
    }
}

impl std::error::Error for Refusal {}

/// The host part of a URL that passed [`WebhookPolicy::check_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedHost {
    /// An address literal that is allowed (no resolution happens for it).
    Address(IpAddr),
    /// A host name admitted by the allowlist: registered without resolving it.
    AllowedName(String),
    /// A host name whose addresses still have to be checked.
    Name(String),
}

/// The webhook rules of one deployment (`LIAISON_WEBHOOK_ALLOW_HTTP`,
/// `LIAISON_WEBHOOK_ALLOWED_HOSTS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    pub allow_http: bool,
    pub allowed: Vec<HostRule>,
}

impl WebhookPolicy {
    /// A connection to `ip` is allowed when it is public or inside an allowlisted range.
    pub fn address_allowed(&self, ip: IpAddr) -> bool {
        classify(ip) == AddressClass::Public || self.allowed.iter().any(|r| r.contains(ip))
    }

    fn name_allowed(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.allowed
            .iter()
            .any(|r| matches!(r, HostRule::Name(n) if n.eq_ignore_ascii_case(name)))
    }

    /// Checks the scheme and the host of a URL as the `url` crate (and so reqwest) parses it,
    /// so `http://0x7f000001/` is the IPv4 literal 127.0.0.1. Names are returned for the caller
    /// to resolve and check with [`WebhookPolicy::address_allowed`].
    pub fn check_url(&self, url: &url::Url) -> Result<CheckedHost, Refusal> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err(Refusal::Scheme),
            _ => return Err(Refusal::Format),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Format);
        }
        match url.host() {
            None => Err(Refusal::Format),
            Some(url::Host::Ipv4(ip)) => self.check_literal(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_literal(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    Err(Refusal::Format)
                } else if self.name_allowed(&name) {
                    Ok(CheckedHost::AllowedName(name))
                } else {
                    Ok(CheckedHost::Name(name))
                }
            }
        }
    }

    fn check_literal(&self, ip: IpAddr) -> Result<CheckedHost, Refusal> {
        if self.address_allowed(ip) {
            Ok(CheckedHost::Address(ip))
        } else {
            Err(Refusal::AddressNotAllowed)
        }
    }

    /// The addresses of a resolved name that may be connected to; refused when none is left.
    /// A name with any disallowed address is refused at registration (`strict`), since a
    /// client could connect to either; at delivery the disallowed ones are only dropped.
    pub fn filter_resolved(
        &self,
        addresses: impl IntoIterator<Item = IpAddr>,
        strict: bool,
    ) -> Result<Vec<IpAddr>, Refusal> {
        let mut allowed = Vec::new();
        for ip in addresses {
            if self.address_allowed(ip) {
                allowed.push(ip);
            } else if strict {
                return Err(Refusal::AddressNotAllowed);
            }
        }
        if allowed.is_empty() {
            Err(Refusal::AddressNotAllowed)
        } else {
            Ok(allowed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        match text.parse() {
            Ok(ip) => ip,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn only_public_addresses_are_public() {
        use AddressClass::*;
        let table = [
            ("93.184.216.34", Public),
            ("8.8.8.8", Public),
            ("172.32.0.1", Public),
            ("100.128.0.1", Public),
            ("2606:4700::1111", Public),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Reserved),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.255", SharedAddressSpace),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("255.255.255.255", Broadcast),
            ("240.0.0.1", Reserved),
            ("192.0.2.1", Reserved),
            ("198.18.0.1", Reserved),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fe80::1", LinkLocal),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Reserved),
            ("64:ff9b::7f00:1", Loopback),
            ("64:ff9b::808:808", Public),
            ("2002:7f00:1::", Loopback),
            ("2002:a9fe:a9fe::1", LinkLocal),
            ("2001:db8::1", Reserved),
            ("2001::1", Reserved),
            ("100::1", Reserved),
        ];
        for (text, class) in table {
            assert_eq!(classify(ip(text)), class, "{text}");
        }
    }

    fn check(policy: &WebhookPolicy, text: &str) -> Result<CheckedHost, Refusal> {
        match url::Url::parse(text) {
            Ok(url) => policy.check_url(&url),
            Err(_) => Err(Refusal::Format),
        }
    }

    #[test]
    fn literal_hosts_in_any_spelling_are_checked() {
        let policy = WebhookPolicy {
            allow_http: true,
            allowed: vec![],
        };
        for refused in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://0.0.0.0/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://100.64.0.1/",
        ] {
            assert_eq!(
                check(&policy, refused),
                Err(Refusal::AddressNotAllowed),
                "{refused}"
            );
        }
        assert_eq!(
            check(&policy, "https://93.184.216.34/hook"),
            Ok(CheckedHost::Address(ip("93.184.216.34")))
        );
        assert_eq!(
            check(&policy, "https://Hooks.CRO.example./x"),
            Ok(CheckedHost::Name("hooks.cro.example".into()))
        );
    }

    #[test]
    fn http_needs_the_setting_and_other_schemes_never_pass() {
        let strict = WebhookPolicy::default();
        assert_eq!(check(&strict, "http://cro.example/"), Err(Refusal::Scheme));
        assert!(check(&strict, "https://cro.example/").is_ok());
        for bad in [
            "ftp://cro.example/",
            "file:///etc/passwd",
            "gopher://cro.example/",
            "https://user:pw@cro.example/",
            "not a url",
        ] {
            assert_eq!(check(&strict, bad), Err(Refusal::Format), "{bad}");
        }
    }

    #[test]
    fn the_allowlist_admits_names_and_ranges() {
        let policy = WebhookPolicy {
            allow_http: true,
            allowed: [
                "hooks.corp.example",
                "10.20.0.0/16",
                "127.0.0.1",
                "[fd00::]/8",
            ]
            .into_iter()
            .map(|r| HostRule::parse(r).unwrap_or(HostRule::Name("invalid.".into())))
            .collect(),
        };
        assert_eq!(
            check(&policy, "http://HOOKS.corp.example:8443/x"),
            Ok(CheckedHost::AllowedName("hooks.corp.example".into()))
        );
        assert!(check(&policy, "http://10.20.3.4/").is_ok());
        assert!(check(&policy, "http://[::ffff:10.20.3.4]/").is_ok());
        assert!(check(&policy, "http://127.0.0.1:9/").is_ok());
        assert!(check(&policy, "http://[fd12::1]/").is_ok());
        assert_eq!(
            check(&policy, "http://10.21.0.1/"),
            Err(Refusal::AddressNotAllowed)
        );
        assert_eq!(
            check(&policy, "http://127.0.0.2/"),
            Err(Refusal::AddressNotAllowed)
        );
        // An admitted name is still held to the address rules when it resolves.
        assert_eq!(
            policy.filter_resolved([ip("192.168.0.5")], false),
            Err(Refusal::AddressNotAllowed)
        );
        assert_eq!(
            policy.filter_resolved([ip("10.20.0.5")], false),
            Ok(vec![ip("10.20.0.5")])
        );
    }

    #[test]
    fn resolved_addresses_are_filtered() {
        let policy = WebhookPolicy::default();
        let mixed = [ip("127.0.0.1"), ip("93.184.216.34")];
        assert_eq!(
            policy.filter_resolved(mixed, true),
            Err(Refusal::AddressNotAllowed)
        );
        assert_eq!(
            policy.filter_resolved(mixed, false),
            Ok(vec![ip("93.184.216.34")])
        );
        assert_eq!(
            policy.filter_resolved([ip("::1"), ip("169.254.169.254")], false),
            Err(Refusal::AddressNotAllowed)
        );
        assert_eq!(
            policy.filter_resolved([], false),
            Err(Refusal::AddressNotAllowed)
        );
    }

    #[test]
    fn host_rules_parse_names_and_ranges() {
        assert_eq!(
            HostRule::parse(" Hooks.Corp.Example. "),
            Ok(HostRule::Name("hooks.corp.example".into()))
        );
        assert_eq!(
            HostRule::parse("10.0.0.0/8"),
            Ok(HostRule::Range {
                network: ip("10.0.0.0"),
                prefix: 8
            })
        );
        assert_eq!(
            HostRule::parse("::1"),
            Ok(HostRule::Range {
                network: ip("::1"),
                prefix: 128
            })
        );
        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "host/8",
            "a..b",
            "",
            "under_score.example",
        ] {
            assert!(HostRule::parse(bad).is_err(), "{bad}");
        }
        let all = HostRule::parse("0.0.0.0/0").unwrap_or(HostRule::Name("x".into()));
        assert!(all.contains(ip("127.0.0.1")));
    }
}
