//! Random credentials and their keyed hashes. Only hashes are stored; the plain value is shown
//! once. The key (pepper) is the service's secret key, so a stolen database alone is useless.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The secret key material, kept out of `Debug` output.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> SecretKey {
        SecretKey(bytes)
    }

    /// Hex HMAC-SHA256 of `purpose:value`; the purpose keeps tokens of different kinds apart.
    pub fn mac_hex(&self, purpose: &str, value: &str) -> String {
        hex::encode(self.mac(purpose, value.as_bytes()))
    }

    pub fn mac(&self, purpose: &str, value: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(value);
        mac.finalize().into_bytes().to_vec()
    }
}

/// 256 random bits from the OS, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Comparison whose time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let a = random_token();
        let b = random_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|v| v.len()).ok(), Some(32));
        assert_ne!(a, b);
    }

    #[test]
    fn macs_depend_on_key_and_purpose() {
        let k1 = SecretKey::new(b"one".to_vec());
        let k2 = SecretKey::new(b"two".to_vec());
        assert_ne!(k1.mac_hex("token", "x"), k2.mac_hex("token", "x"));
        assert_ne!(k1.mac_hex("token", "x"), k1.mac_hex("session", "x"));
        assert_eq!(k1.mac_hex("token", "x"), k1.mac_hex("token", "x"));
    }

    #[test]
    fn constant_time_eq_compares_contents() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
