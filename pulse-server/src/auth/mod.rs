//! Who is calling: access tokens (JWT), API tokens, and what each role may do.
//!
//! A request's client comes from its token and nowhere else: the [`Principal`] built
//! here is the only way the service layer learns which client it works for.

mod bearer;
mod jwt;
mod principal;

pub use bearer::bearer_token;
pub use jwt::{AccessClaims, InviteClaims, JwtKeys, TokenError};
pub use principal::{Permission, Principal, Subject};
