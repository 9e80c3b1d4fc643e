//! Model values as `pulse.v1` messages where more than one service sends them: users,
//! clients, roles, invitations and timestamps.

use pulse_core::model::{Branding, Color, Role, Timestamp, User};

use super::proto;
use crate::api::{ApiError, ClientInfo, InvitedUser};

/// RFC 3339 in UTC with `Z`, the form the REST API and the metric reports use.
pub fn timestamp(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

pub fn optional_timestamp(t: Option<Timestamp>) -> Option<String> {
    t.map(timestamp)
}

pub fn role(role: Role) -> i32 {
    match role {
        Role::Admin => proto::Role::Admin,
        Role::User => proto::Role::User,
        Role::Viewer => proto::Role::Viewer,
    }
    .into()
}

/// A role of a request.
pub fn role_of(value: i32) -> Result<Role, ApiError> {
    let role = match proto::Role::try_from(value) {
        Ok(proto::Role::Admin) => Role::Admin,
        Ok(proto::Role::User) => Role::User,
        Ok(proto::Role::Viewer) => Role::Viewer,
        Ok(proto::Role::Unspecified) | Err(_) => {
            return Err(ApiError::invalid("role", "must be ROLE_ADMIN, ROLE_USER or ROLE_VIEWER"));
        }
    };
    Ok(role)
}

impl From<User> for proto::User {
    fn from(u: User) -> Self {
        Self {
            id: u.id.get(),
            email: u.email.as_str().to_owned(),
            display_name: u.display_name,
            role: role(u.role),
            created_at: timestamp(u.created_at),
        }
    }
}

impl From<Branding> for proto::Branding {
    fn from(b: Branding) -> Self {
        Self {
            display_name: b.display_name,
            logo_url: b.logo_url,
            primary_color: b.primary_color.map(|c| c.as_str().to_owned()),
            accent_color: b.accent_color.map(|c| c.as_str().to_owned()),
        }
    }
}

/// A branding of a request; a colour that is not `#rrggbb` is an invalid argument.
pub fn branding(b: proto::Branding) -> Result<Branding, ApiError> {
    let color = |c: Option<String>| c.as_deref().map(Color::parse).transpose();
    Ok(Branding {
        display_name: b.display_name,
        logo_url: b.logo_url,
        primary_color: color(b.primary_color)?,
        accent_color: color(b.accent_color)?,
    })
}

impl From<ClientInfo> for proto::Client {
    fn from(c: ClientInfo) -> Self {
        Self { id: c.id, slug: c.slug, branding: Some(c.branding.into()), created_at: c.created_at }
    }
}

impl From<InvitedUser> for proto::InvitedUser {
    fn from(i: InvitedUser) -> Self {
        Self { user: Some(i.user.into()), invitation: i.invitation, invitation_expires_in: i.invitation_expires_in }
    }
}
