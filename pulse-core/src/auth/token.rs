//! Opaque tokens: 32 random bytes behind a prefix that names the kind and the client.
//!
//! `pulse_rt_<client id>_<base64url>` is a refresh token, `pulse_at_<client id>_<base64url>`
//! an API token. The prefix lets the server open the right client's store before looking
//! the token up (no lookup across clients), and lets secret scanners recognise leaked
//! tokens. The store keeps only the SHA-256 of the whole text: 256 random bits need no
//! salt or slow hash, and the client id inside the hashed text means a secret re-prefixed
//! with another client's id is a different, unknown token.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRng;
use sha2::{Digest, Sha256};

use super::crypto_failure;
use crate::error::{Error, Result};
use crate::ids::{ClientId, TokenFamily};

const SECRET_BYTES: usize = 32;
/// Base64url without padding of [`SECRET_BYTES`].
const SECRET_CHARS: usize = 43;
/// Longer input is refused before any work: no valid token comes near it.
const MAX_TOKEN_CHARS: usize = 128;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Exchanged once for a new access token and a successor refresh token.
    Refresh,
    /// A long-lived credential for scripts and CI, with a role of its own.
    Api,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Refresh => "pulse_rt_",
            TokenKind::Api => "pulse_at_",
        }
    }
}

/// A refresh or API token in clear text. Shown to its holder once, when issued
/// ([`TokenSecret::expose_secret`]); `Debug` shows the kind and the client but not the
/// secret, and there is no `Display`.
#[derive(Clone)]
pub struct TokenSecret {
    text: String,
    kind: TokenKind,
    client: ClientId,
}

impl TokenSecret {
    /// Parses a token presented by a caller. Errors say which part is malformed and
    /// never repeat the input.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |reason: &str| Error::invalid("token", reason);
        if text.len() > MAX_TOKEN_CHARS {
            return Err(bad("too long to be a Pulse token"));
        }
        let (kind, rest) = [TokenKind::Refresh, TokenKind::Api]
            .into_iter()
            .find_map(|kind| text.strip_prefix(kind.prefix()).map(|rest| (kind, rest)))
            .ok_or_else(|| bad("not a Pulse token (expected pulse_rt_… or pulse_at_…)"))?;
        // The client id has no `_`; the base64url secret may, so split at the first one.
        let (client, secret) = rest.split_once('_').ok_or_else(|| bad("no client id"))?;
        let client = parse_client_id(client).ok_or_else(|| bad("the client id is not a positive number"))?;
        let decodes = secret.len() == SECRET_CHARS
            && URL_SAFE_NO_PAD.decode(secret).is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
        if !decodes {
            return Err(bad("the secret part is not 32 bytes of base64url"));
        }
        Ok(Self { text: text.to_owned(), kind, client })
    }

    /// A fresh token of `client`.
    pub(crate) fn generate(kind: TokenKind, client: ClientId) -> Result<Self> {
        let secret = URL_SAFE_NO_PAD.encode(random_bytes::<SECRET_BYTES>()?);
        Ok(Self { text: format!("{}{}_{secret}", kind.prefix(), client.get()), kind, client })
    }

    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The client the token was issued by, read from its prefix: open this client's
    /// store ([`crate::Store::client_by_id`]) to check it. Nothing is known about the
    /// token until that store has found its hash.
    pub fn client_id(&self) -> ClientId {
        self.client
    }

    /// The token's text, to hand to its holder.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }

    /// What the store keeps and looks tokens up by.
    pub(crate) fn hash(&self) -> TokenHash {
        TokenHash(hex(&Sha256::digest(self.text.as_bytes())))
    }
}

impl FromStr for TokenSecret {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSecret")
            .field("kind", &self.kind)
            .field("client", &self.client)
            .field("secret", &format_args!("<redacted>"))
            .finish()
    }
}

/// The SHA-256 of a token's text, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenHash(String);

impl TokenHash {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// One canonical spelling per id (no sign, no leading zeros), so one token has one hash.
fn parse_client_id(text: &str) -> Option<ClientId> {
    let canonical =
        !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
    let id: i64 = text.parse().ok().filter(|_| canonical)?;
    Some(ClientId::new(id))
}

/// A new refresh-token family id.
pub(crate) fn random_family() -> Result<TokenFamily> {
    TokenFamily::parse(&hex(&random_bytes::<16>()?))
}

/// Bytes from the operating system's random source (not a user-space generator: these
/// are credentials).
fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    rand::rngs::SysRng.try_fill_bytes(&mut bytes).map_err(|e| crypto_failure("system random source", e))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back() {
        for kind in [TokenKind::Refresh, TokenKind::Api] {
            let token = TokenSecret::generate(kind, ClientId::new(42)).unwrap();
            let text = token.expose_secret();
            assert!(text.starts_with(if kind == TokenKind::Refresh { "pulse_rt_42_" } else { "pulse_at_42_" }));
            assert_eq!(text.len(), "pulse_rt_42_".len() + SECRET_CHARS);
            let parsed = TokenSecret::parse(text).unwrap();
            assert_eq!((parsed.kind(), parsed.client_id()), (kind, ClientId::new(42)));
            assert_eq!(parsed.hash(), token.hash());
            assert_eq!(token.hash().as_str().len(), 64);
        }
        let a = TokenSecret::generate(TokenKind::Api, ClientId::new(1)).unwrap();
        let b = TokenSecret::generate(TokenKind::Api, ClientId::new(1)).unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn the_hash_covers_the_client_id() {
        let token = TokenSecret::generate(TokenKind::Refresh, ClientId::new(7)).unwrap();
        let moved = token.expose_secret().replacen("pulse_rt_7_", "pulse_rt_8_", 1);
        let moved = TokenSecret::parse(&moved).unwrap();
        assert_eq!(moved.client_id(), ClientId::new(8));
        assert_ne!(moved.hash(), token.hash());
    }

    #[test]
    fn debug_prints_no_secret() {
        let token = TokenSecret::generate(TokenKind::Api, ClientId::new(3)).unwrap();
        let secret = &token.expose_secret()["pulse_at_3_".len()..];
        let shown = format!("{token:?} {:#?}", Some(&token));
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("redacted") && shown.contains("Api"), "{shown}");
    }

    #[test]
    fn malformed_tokens_are_invalid_and_not_echoed() {
        let good = TokenSecret::generate(TokenKind::Refresh, ClientId::new(5)).unwrap();
        let secret = good.expose_secret()["pulse_rt_5_".len()..].to_owned();
        let cases = [
            String::new(),
            format!("pulse_xx_5_{secret}"),
            format!("pulse_rt_{secret}"),
            format!("pulse_rt__{secret}"),
            format!("pulse_rt_05_{secret}"),
            format!("pulse_rt_-5_{secret}"),
            format!("pulse_rt_0_{secret}"),
            format!("pulse_rt_99999999999999999999_{secret}"),
            format!("pulse_rt_5_{}", &secret[1..]),
            format!("pulse_rt_5_{secret}A"),
            format!("pulse_rt_5_{}=", &secret[..42]),
            format!("pulse_rt_5_{}", "!".repeat(SECRET_CHARS)),
            format!("pulse_rt_5_{secret}{}", "x".repeat(200)),
        ];
        for case in cases {
            let err = TokenSecret::parse(&case).unwrap_err();
            assert!(matches!(err, Error::Invalid { what: "token", .. }), "{case}: {err}");
            assert!(!err.to_string().contains(&secret[..10]), "{err}");
        }
    }

    #[test]
    fn families_are_random_hex() {
        let a = random_family().unwrap();
        assert_eq!(a.as_str().len(), 32);
        assert_ne!(a, random_family().unwrap());
    }
}
