//! The credentials half of authentication: password hashing and opaque tokens.
//!
//! Issuing JWT access tokens is the server's business; this module gives it what must
//! be stored: Argon2id password hashes ([`hash_password`], [`verify_password`]) and
//! random refresh and API tokens ([`TokenSecret`]) of which the store keeps only a
//! SHA-256 hash. The records themselves live in `store::auth` (refresh-token families
//! with reuse detection, API tokens), scoped to one client like everything else.
//!
//! Secrets are newtypes whose `Debug` prints no secret, and no error of this crate
//! carries one.

mod password;
mod token;

pub(crate) use password::verify_dummy;
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Password, PasswordHash, hash_password, verify_password};
pub(crate) use token::{TokenHash, random_family};
pub use token::{TokenKind, TokenSecret};

/// An internal failure of the cryptography (the system's random source, a hashing task
/// that could not run). It says which step failed and nothing about the input.
fn crypto_failure(step: &'static str, reason: impl std::fmt::Display) -> crate::Error {
    crate::Error::Io { path: step.to_owned(), source: std::io::Error::other(reason.to_string()) }
}
