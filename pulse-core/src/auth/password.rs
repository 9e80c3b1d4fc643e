//! Passwords: a newtype that never prints, and Argon2id hashing off the async threads.

use std::fmt;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use super::crypto_failure;
use crate::error::{Error, Result};

/// Fewer characters than this are refused (NIST SP 800-63B's floor for chosen passwords).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// More than this is refused: hashing cost grows with the length, and no person types more.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A password in clear text, as typed. `Debug` prints no part of it and there is no
/// `Display`, so it cannot end up in a log line by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Accepts a password of [`MIN_PASSWORD_CHARS`]..=[`MAX_PASSWORD_CHARS`] characters,
    /// taken verbatim (no trimming: spaces are part of a passphrase).
    pub fn new(text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        let chars = text.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Error::invalid("password", format!("must be at least {MIN_PASSWORD_CHARS} characters")));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Error::invalid("password", format!("must be at most {MAX_PASSWORD_CHARS} characters")));
        }
        Ok(Self(text))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An Argon2 hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), as
/// stored in `users.password_hash`. It carries its own salt and parameters, so hashes
/// made with older parameters keep verifying.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Parses a stored PHC string; anything but an Argon2 hash is refused.
    pub fn parse(text: &str) -> Result<Self> {
        match argon2::PasswordHash::new(text) {
            Ok(hash) if hash.algorithm.as_str().starts_with("argon2") => Ok(Self(text.to_owned())),
            _ => Err(Error::invalid("password hash", "not an Argon2 hash in PHC string form")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    // The hash is not the password, but it is what an offline guessing attack needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Hashes `password` with Argon2id (the crate's default parameters: 19 MiB, 2 passes,
/// 1 lane, per OWASP) and a fresh random salt.
pub async fn hash_password(password: &Password) -> Result<PasswordHash> {
    let password = password.clone();
    off_thread("password hashing", move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(|e| crypto_failure("password hashing", e))
    })
    .await
}

/// Whether `password` is the one `hash` was made from. A hash that does not parse or
/// names unknown parameters is a corrupt stored value, not a wrong password.
pub async fn verify_password(password: &Password, hash: &PasswordHash) -> Result<bool> {
    let (password, hash) = (password.clone(), hash.clone());
    off_thread("password verification", move || verify_now(&password, hash.as_str())).await
}

fn verify_now(password: &Password, hash: &str) -> Result<bool> {
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(Error::corrupt("password_hash", e.to_string())),
    }
}

/// A hash of a random password nobody knows, made with the default parameters (a test
/// checks they still are the defaults). Verifying against it costs what verifying a real
/// user's password costs, so a login for an unknown e-mail takes as long as a wrong
/// password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$oX1LR+2GHmUqC7a2VomoSQ$/YQ9WPmKhHqqLeqxQHxoK6JFt+xfXRflYoJbq+0gP6M";

/// Spends the time of one password verification and learns nothing.
pub(crate) async fn verify_dummy(password: &Password) {
    let password = password.clone();
    // The outcome is meaningless (and false); only the time spent matters.
    let _ = off_thread("password verification", move || verify_now(&password, DUMMY_HASH)).await;
}

/// Runs CPU-heavy hashing on tokio's blocking pool, where it does not stall the async
/// workers that serve other requests.
async fn off_thread<T: Send + 'static>(
    step: &'static str,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only when the runtime shuts down.
        Err(e) => Err(crypto_failure(step, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_secret() {
        let password = Password::new("correct horse battery").unwrap();
        let shown = format!("{password:?} {:?}", Some(&password));
        assert!(!shown.contains("horse"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
        let hash = PasswordHash::parse(DUMMY_HASH).unwrap();
        assert!(!format!("{hash:?}").contains("argon2id$"));
    }

    #[test]
    fn length_limits() {
        for short in ["", "1234567", "ééééééé"] {
            let err = Password::new(short).unwrap_err();
            assert!(matches!(err, Error::Invalid { what: "password", .. }), "{err}");
            assert!(!err.to_string().contains(short) || short.is_empty(), "{err}");
        }
        // Characters, not bytes: eight accented letters are sixteen bytes but eight chars.
        assert!(Password::new("éééééééé").is_ok());
        assert!(Password::new("x".repeat(MAX_PASSWORD_CHARS)).is_ok());
        assert!(Password::new("x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
    }

    #[test]
    fn dummy_hash_uses_the_default_parameters() {
        let phc = argon2::PasswordHash::new(DUMMY_HASH).unwrap();
        let params = argon2::Params::try_from(&phc).unwrap();
        let default = argon2::Params::default();
        assert_eq!(phc.algorithm, argon2::Algorithm::default().ident());
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let password = Password::new("correct horse battery").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert_eq!(PasswordHash::parse(hash.as_str()).unwrap(), hash);
        assert!(verify_password(&password, &hash).await.unwrap());
        assert!(!verify_password(&Password::new("correct horse battery!").unwrap(), &hash).await.unwrap());
        // A fresh salt each time.
        assert_ne!(hash_password(&password).await.unwrap(), hash);
        assert!(PasswordHash::parse("plain text").is_err());
        assert!(PasswordHash::parse("$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA").is_err());
    }
}
