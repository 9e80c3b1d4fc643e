//! `Bearer <token>` credentials, as REST headers and gRPC metadata both carry them.

use crate::api::ApiError;

/// The token of an `authorization` value; `source` names where it came from in the error.
pub fn bearer_token<'a>(value: &'a [u8], source: &str) -> Result<&'a str, ApiError> {
    let text = std::str::from_utf8(value).map_err(|_| ApiError::unauthenticated(format!("malformed {source}")))?;
    match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::unauthenticated(format!("expected `{source}: Bearer <token>`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_required() {
        assert_eq!(bearer_token(b"Bearer abc", "Authorization").unwrap(), "abc");
        assert_eq!(bearer_token(b"bearer  abc ", "Authorization").unwrap(), "abc");
        for bad in [&b"Basic abc"[..], b"Bearer ", b"abc", b"Bearer \xff"] {
            let err = bearer_token(bad, "Authorization").unwrap_err();
            assert!(matches!(err, ApiError::Unauthenticated { .. }), "{err:?}");
        }
    }
}
