//! The authenticated caller and the role check.

use pulse_core::ids::{ApiTokenId, ClientId, UserId};
use pulse_core::model::Role;

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    User(UserId),
    /// A service-to-service API token, by id.
    ApiToken(ApiTokenId),
}

impl Subject {
    /// The `sub` claim and the actor named in audit records (job transitions).
    pub fn to_claim(self) -> String {
        match self {
            Subject::User(id) => format!("user:{id}"),
            Subject::ApiToken(id) => format!("token:{id}"),
        }
    }

    pub fn parse_claim(text: &str) -> Option<Self> {
        let (kind, id) = text.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "user" => Some(Subject::User(UserId::new(id))),
            "token" => Some(Subject::ApiToken(ApiTokenId::new(id))),
            _ => None,
        }
    }
}

/// An authenticated caller: one client, one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub client: ClientId,
    pub role: Role,
    pub subject: Subject,
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Metrics, jobs, projects, the client's branding: every role.
    Read,
    /// Start syncs and derivations, retry failed jobs, push imports: users and admins.
    Run,
    /// Pause, resume and cancel jobs; integrations, schedules, projects, users, API
    /// tokens, branding: admins.
    Administer,
}

impl Principal {
    pub fn may(&self, permission: Permission) -> bool {
        match permission {
            Permission::Read => true,
            Permission::Run => matches!(self.role, Role::Admin | Role::User),
            Permission::Administer => self.role == Role::Admin,
        }
    }

    /// The actor recorded with what this caller changes.
    pub fn actor(&self) -> String {
        format!("api:{}", self.subject.to_claim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal { client: ClientId::new(1), role, subject: Subject::User(UserId::new(7)) }
    }

    #[test]
    fn roles_grant_what_the_issue_says() {
        let (admin, user, viewer) = (principal(Role::Admin), principal(Role::User), principal(Role::Viewer));
        assert!(admin.may(Permission::Administer) && admin.may(Permission::Run) && admin.may(Permission::Read));
        assert!(!user.may(Permission::Administer) && user.may(Permission::Run) && user.may(Permission::Read));
        assert!(!viewer.may(Permission::Administer) && !viewer.may(Permission::Run) && viewer.may(Permission::Read));
    }

    #[test]
    fn subjects_round_trip_through_the_claim() {
        for s in [Subject::User(UserId::new(3)), Subject::ApiToken(ApiTokenId::new(9))] {
            assert_eq!(Subject::parse_claim(&s.to_claim()), Some(s));
        }
        assert_eq!(Subject::parse_claim("root"), None);
        assert_eq!(Subject::parse_claim("user:x"), None);
        assert_eq!(Subject::parse_claim("admin:1"), None);
    }
}
