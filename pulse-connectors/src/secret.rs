//! Credentials encrypted at rest with AES-256-GCM.
//!
//! The key comes from `PULSE_SECRET_KEY` (64 hex digits) or from the file named by
//! `PULSE_SECRET_KEY_FILE`. A sealed blob is `PC1` ‖ 12-byte random nonce ‖ ciphertext
//! and tag; the client id and the integration's name are authenticated alongside, so a
//! blob copied to another client or integration does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use pulse_core::ids::ClientId;
use pulse_core::model::SealedCredentials;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::http::Secret;

const MAGIC: &[u8; 3] = b"PC1";
const NONCE_LEN: usize = 12;

/// The key that seals integration credentials. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// From `PULSE_SECRET_KEY`, else the file named by `PULSE_SECRET_KEY_FILE`.
    pub fn from_env() -> Result<Self> {
        if let Ok(text) = std::env::var("PULSE_SECRET_KEY") {
            return Self::from_hex(&text, "PULSE_SECRET_KEY");
        }
        if let Ok(path) = std::env::var("PULSE_SECRET_KEY_FILE") {
            let text = std::fs::read_to_string(&path).map_err(|_| Error::InvalidSecretKey {
                origin: format!("PULSE_SECRET_KEY_FILE={path}"),
                reason: "the file cannot be read",
            })?;
            return Self::from_hex(&text, &format!("PULSE_SECRET_KEY_FILE={path}"));
        }
        Err(Error::MissingSecretKey)
    }

    /// Parses 64 hex digits (surrounding whitespace allowed).
    pub fn from_hex(text: &str, origin: &str) -> Result<Self> {
        let text = text.trim();
        let invalid = |reason| Error::InvalidSecretKey { origin: origin.to_owned(), reason };
        if text.len() != 64 {
            return Err(invalid("expected 64 hex digits (32 bytes)"));
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| invalid("not hexadecimal"))?;
        }
        Ok(Self(key))
    }

    /// A random key (tests, first-run setup).
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        for b in &mut key {
            *b = rand::random();
        }
        Self(key)
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(&self.0).expect("a 32-byte key")
    }

    /// Encrypts `credentials` for one client's integration.
    pub fn seal(&self, client: ClientId, integration: &str, credentials: &Credentials) -> SealedCredentials {
        let plain = serde_json::to_vec(credentials).expect("credentials serialize");
        let mut nonce = [0u8; NONCE_LEN];
        for b in &mut nonce {
            *b = rand::random();
        }
        let aad = associated_data(client, integration);
        let sealed = self
            .cipher()
            .encrypt(&Nonce::try_from(&nonce[..]).expect("12 bytes"), Payload { msg: &plain, aad: &aad })
            .expect("AES-GCM encryption of a small buffer cannot fail");
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        SealedCredentials(out)
    }

    /// Decrypts what [`SecretKey::seal`] produced for the same client and integration.
    pub fn open(&self, client: ClientId, integration: &str, sealed: &SealedCredentials) -> Result<Credentials> {
        let fail = || Error::Unseal { integration: integration.to_owned() };
        let bytes = &sealed.0;
        if bytes.len() < MAGIC.len() + NONCE_LEN + 16 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(fail());
        }
        let (nonce, body) = bytes[MAGIC.len()..].split_at(NONCE_LEN);
        let aad = associated_data(client, integration);
        let plain = self
            .cipher()
            .decrypt(&Nonce::try_from(nonce).map_err(|_| fail())?, Payload { msg: body, aad: &aad })
            .map_err(|_| fail())?;
        serde_json::from_slice(&plain).map_err(|_| fail())
    }
}

fn associated_data(client: ClientId, integration: &str) -> Vec<u8> {
    format!("pulse-credentials:{client}:{integration}").into_bytes()
}

/// What an integration authenticates with. `Debug` never shows the token.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub token: String,
}

impl Credentials {
    pub fn token(&self) -> Secret {
        Secret::new(self.token.clone())
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { token: *** }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_bind_to_client_and_name() {
        let key = SecretKey::generate();
        let sealed = key.seal(ClientId::new(1), "github:a/b", &Credentials { token: "ghp_secret".into() });
        assert!(!sealed.0.windows(10).any(|w| w == b"ghp_secret"), "token in clear");
        let opened = key.open(ClientId::new(1), "github:a/b", &sealed).unwrap();
        assert_eq!(opened.token, "ghp_secret");
        assert!(matches!(key.open(ClientId::new(2), "github:a/b", &sealed), Err(Error::Unseal { .. })));
        assert!(matches!(key.open(ClientId::new(1), "github:a/c", &sealed), Err(Error::Unseal { .. })));
        let other = SecretKey::generate();
        assert!(matches!(other.open(ClientId::new(1), "github:a/b", &sealed), Err(Error::Unseal { .. })));
        let mut damaged = sealed.clone();
        let last = damaged.0.len() - 1;
        damaged.0[last] ^= 1;
        assert!(key.open(ClientId::new(1), "github:a/b", &damaged).is_err());
    }

    #[test]
    fn keys_parse_from_hex_only() {
        let key = SecretKey::generate();
        assert_eq!(SecretKey::from_hex(&format!(" {}\n", key.to_hex()), "t").unwrap().0, key.0);
        assert!(SecretKey::from_hex("abc", "t").is_err());
        assert!(SecretKey::from_hex(&"zz".repeat(32), "t").is_err());
        assert_eq!(format!("{key:?}"), "SecretKey(***)");
        assert!(!format!("{:?}", Credentials { token: "t0k".into() }).contains("t0k"));
    }
}
