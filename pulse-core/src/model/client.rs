use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{ClientId, ClientSlug};

/// A tenant: one company using Pulse. All of its data is reachable only through its
/// [`crate::store::ClientStore`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Client {
    pub id: ClientId,
    pub slug: ClientSlug,
    pub branding: Branding,
    pub created_at: Timestamp,
}

/// How the dashboard presents a client on its internal pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    pub display_name: String,
    pub logo_url: Option<String>,
    pub primary_color: Option<Color>,
    pub accent_color: Option<Color>,
}

impl Branding {
    /// Branding with only a display name: the dashboard falls back to Pulse's own logo
    /// and colours.
    pub fn named(display_name: impl Into<String>) -> Self {
        Self { display_name: display_name.into(), logo_url: None, primary_color: None, accent_color: None }
    }
}

/// A CSS colour as `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Color(String);

impl Color {
    pub fn parse(text: &str) -> Result<Self> {
        let ok = text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if ok {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(Error::invalid("colour", format!("{text:?} is not of the form #rrggbb")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Color {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Color> for String {
    fn from(c: Color) -> String {
        c.0
    }
}
