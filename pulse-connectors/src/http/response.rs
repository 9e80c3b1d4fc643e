//! A received response, with the helpers every connector needs.

use reqwest::header::HeaderMap;

use crate::error::{Error, Result};

/// A complete response: status, headers and the whole body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    endpoint: String,
}

impl Response {
    pub(crate) fn new(status: u16, headers: HeaderMap, body: Vec<u8>, endpoint: String) -> Self {
        Self { status, headers, body, endpoint }
    }

    /// `METHOD /path` of the request, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn not_modified(&self) -> bool {
        self.status == 304
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// The body as UTF-8 text (raw payloads keep it verbatim).
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.body).map_err(|_| Error::malformed(&self.endpoint, "the body is not UTF-8"))
    }

    /// Parses the body, with a message that says what was wrong with it.
    pub fn json<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T> {
        if self.looks_like_html() {
            return Err(Error::malformed(
                &self.endpoint,
                format!("expected JSON, got an HTML page: {}", self.html_title()),
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            let reason = if e.is_eof() {
                format!("the body is truncated ({e})")
            } else {
                format!("not the documented JSON ({e})")
            };
            Error::malformed(&self.endpoint, reason)
        })
    }

    /// The `rel="next"` target of a `Link` header (GitHub's REST pagination).
    pub fn next_link(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(',').find_map(|part| {
            let (target, params) = part.split_once(';')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                p == "rel=\"next\"" || p == "rel=next"
            });
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_owned())
        })
    }

    fn looks_like_html(&self) -> bool {
        let start = self.body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        let head: Vec<u8> = self.body[start..].iter().take(15).map(u8::to_ascii_lowercase).collect();
        head.starts_with(b"<!doctype html") || head.starts_with(b"<html") || head.starts_with(b"<head")
    }

    fn html_title(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut out = String::new();
        let mut in_tag = false;
        for c in text.chars() {
            match c {
                '<' => {
                    in_tag = true;
                    out.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        let words: Vec<&str> = out.split_whitespace().collect();
        truncate(&words.join(" "), 120)
    }

    /// The upstream's explanation of an error status: GitHub's `message`, Jira's
    /// `errorMessages`/`errors`, an HTML page's text, or the start of the body.
    pub fn error_message(&self) -> String {
        if self.looks_like_html() {
            return format!("HTML error page: {}", self.html_title());
        }
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&self.body) {
            let mut parts = Vec::new();
            if let Some(m) = value.get("message").and_then(|m| m.as_str()) {
                parts.push(m.to_owned());
            }
            if let Some(list) = value.get("errorMessages").and_then(|m| m.as_array()) {
                parts.extend(list.iter().filter_map(|m| m.as_str()).map(str::to_owned));
            }
            if let Some(map) = value.get("errors").and_then(|m| m.as_object()) {
                parts.extend(map.iter().map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or(&v.to_string()))));
            }
            if !parts.is_empty() {
                return truncate(&parts.join("; "), 300);
            }
        }
        let text = String::from_utf8_lossy(&self.body);
        if text.trim().is_empty() { "(empty body)".to_owned() } else { truncate(text.trim(), 200) }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}
