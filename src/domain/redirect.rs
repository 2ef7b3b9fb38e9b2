//! Where the service may send a browser after signing in or switching language: a path on this
//! site, never another one. Browsers are forgiving in ways a prefix check misses — they strip
//! tabs and newlines from URLs (`/\t/evil.test` is `//evil.test`), read `\` as `/`, and follow
//! `//host` to another site — so the target is parsed with the WHATWG parser (the `url` crate)
//! and only a re-serialised same-origin path and query is kept.

use url::Url;

/// The origin the target is resolved against. `.invalid` is reserved (RFC 2606), so no real
/// site shares it.
const BASE: &str = "http://liaison.invalid/";

/// Longer targets are refused (no page of the service has a path anywhere near this).
pub const MAX_LEN: usize = 2048;

/// A local redirect target: starts with a single `/`, and is a path plus optional query with
/// every character a browser could reinterpret percent-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// The site root, where anything refused goes.
    pub fn root() -> LocalPath {
        LocalPath("/".into())
    }

    /// `None` unless `raw` is a same-origin path (see the module documentation).
    pub fn parse(raw: &str) -> Option<LocalPath> {
        if raw.is_empty() || raw.len() > MAX_LEN || !raw.starts_with('/') {
            return None;
        }
        // The parser would silently drop tabs and newlines (and browsers do too), turning
        // `/\t/host` into `//host`: refuse any control character, and backslashes, which the
        // parser and browsers read as `/`.
        if raw.starts_with("//") || raw.chars().any(|c| c.is_control() || c == '\\') {
            return None;
        }
        let base = Url::parse(BASE).ok()?;
        let url = base.join(raw).ok()?;
        if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let mut local = url.path().to_string();
        // `/..//host` normalises to `//host`: refuse what would leave the site once emitted.
        if !local.starts_with('/') || local.starts_with("//") {
            return None;
        }
        if let Some(query) = url.query() {
            local.push('?');
            local.push_str(query);
        }
        Some(LocalPath(local))
    }

    /// The parsed target, or the root when there is none or it is refused.
    pub fn or_root(raw: Option<&str>) -> LocalPath {
        raw.and_then(LocalPath::parse)
            .unwrap_or_else(LocalPath::root)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_paths_survive() {
        let long = format!("/{}", "a".repeat(MAX_LEN));
        let table: &[(&str, Option<&str>)] = &[
            ("/", Some("/")),
            ("/proposals/x?tab=1", Some("/proposals/x?tab=1")),
            ("/proposals/x?tab=1#reviews", Some("/proposals/x?tab=1")),
            ("/a b?q=<x>", Some("/a%20b?q=%3Cx%3E")),
            ("/提案/一覧", Some("/%E6%8F%90%E6%A1%88/%E4%B8%80%E8%A6%A7")),
            ("/proposals/../admin", Some("/admin")),
            // Encoded stays encoded: a browser does not decode %09 in a path.
            ("/%09/evil.test", Some("/%09/evil.test")),
            ("/%2F/evil.test", Some("/%2F/evil.test")),
            ("//evil.test", None),
            ("/\\evil.test", None),
            ("/\t/evil.test", None),
            ("/\n/x", None),
            ("/\r\n/x", None),
            ("/x\u{7f}", None),
            ("/x\u{85}", None),
            ("\t//evil.test", None),
            (" /x", None),
            ("https://evil.test", None),
            ("http://liaison.invalid/x", None),
            ("javascript:alert(1)", None),
            ("/..//evil", None),
            ("/./\\/evil", None),
            ("evil.test", None),
            ("?next=x", None),
            ("", None),
            (&long, None),
        ];
        for (raw, expected) in table {
            assert_eq!(
                LocalPath::parse(raw).as_ref().map(LocalPath::as_str),
                *expected,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn anything_refused_falls_back_to_the_root() {
        assert_eq!(LocalPath::or_root(None).as_str(), "/");
        assert_eq!(LocalPath::or_root(Some("/\t/evil.test")).as_str(), "/");
        assert_eq!(LocalPath::or_root(Some("/ok")).into_string(), "/ok");
    }
}
