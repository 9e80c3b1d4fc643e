//! `pulse user …` and `pulse token …`: the client's people and API tokens, from the
//! command line (the same operations as the admin API).

use clap::{Args, Subcommand};
use pulse_core::auth::Password;
use pulse_core::ids::{ApiTokenId, UserId};
use pulse_core::model::{Email, NewApiToken, NewUser, Role};

use crate::cli::Global;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add (or update) a user; with --password-env the user can sign in at once.
    Add {
        email: String,
        /// admin, user or viewer.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Display name (defaults to the e-mail address).
        #[arg(long)]
        name: Option<String>,
        /// The environment variable holding the password (never pass one as an argument).
        #[arg(long)]
        password_env: Option<String>,
    },
    /// List the client's users.
    List,
    /// Change a user's role.
    SetRole {
        id: i64,
        /// admin, user or viewer.
        role: String,
    },
    /// Set a user's password from an environment variable.
    SetPassword {
        email: String,
        #[arg(long)]
        password_env: String,
    },
    /// Delete a user.
    Delete { id: i64 },
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; its secret is printed once.
    Create {
        name: String,
        /// admin, user or viewer.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Expiry, YYYY-MM-DD or RFC 3339 (default: until revoked).
        #[arg(long)]
        expires: Option<String>,
    },
    /// List the client's API tokens.
    List,
    /// Revoke an API token.
    Revoke { id: i64 },
}

fn password(var: &str) -> Result<Password> {
    let text = std::env::var(var)
        .map_err(|_| Error::Usage(format!("the environment variable {var} (--password-env) is not set")))?;
    Ok(Password::new(text)?)
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub async fn run(global: &Global, args: UserArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    match args.command {
        UserCommand::Add { email, role, name, password_env } => {
            let email = Email::parse(&email)?;
            let display_name = name.unwrap_or_else(|| email.as_str().to_owned());
            let user = client.upsert_user(&NewUser { email, display_name, role: Role::parse(&role)? }).await?;
            if let Some(var) = password_env {
                client.set_password(user.id, &password(&var)?).await?;
            }
            println!(
                "user {} <{}> is {} of client `{}`",
                user.id,
                user.email.as_str(),
                user.role.as_str(),
                client.client().slug
            );
        }
        UserCommand::List => {
            for u in client.users().await? {
                println!("{}\t{}\t{}\t{}", u.id, u.email.as_str(), u.role.as_str(), u.display_name);
            }
        }
        UserCommand::SetRole { id, role } => {
            client.set_user_role(UserId::new(id), Role::parse(&role)?).await?;
            println!("user {id} is now {role}");
        }
        UserCommand::SetPassword { email, password_env } => {
            let user = client
                .user_by_email(&Email::parse(&email)?)
                .await?
                .ok_or(pulse_core::Error::NotFound { entity: "user" })?;
            client.set_password(user.id, &password(&password_env)?).await?;
            println!("password of {email} set");
        }
        UserCommand::Delete { id } => {
            if !client.delete_user(UserId::new(id)).await? {
                return Err(pulse_core::Error::NotFound { entity: "user" }.into());
            }
            println!("user {id} deleted");
        }
    }
    store.close().await;
    Ok(())
}

pub async fn tokens(global: &Global, args: TokenArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    match args.command {
        TokenCommand::Create { name, role, expires } => {
            let expires_at = expires.as_deref().map(pulse_core::dates::parse_date_or_timestamp).transpose()?;
            let new = NewApiToken { name, role: Role::parse(&role)?, created_by: actor(), expires_at };
            let (secret, token) = client.create_api_token(&new).await?;
            eprintln!(
                "API token {} `{}` ({}) created; its secret is shown only now:",
                token.id,
                token.name,
                token.role.as_str()
            );
            println!("{}", secret.expose_secret());
        }
        TokenCommand::List => {
            for t in client.api_tokens().await? {
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{}\t{}\t{}\t{state}", t.id, t.name, t.role.as_str());
            }
        }
        TokenCommand::Revoke { id } => {
            if !client.revoke_api_token(ApiTokenId::new(id)).await? {
                return Err(pulse_core::Error::NotFound { entity: "API token" }.into());
            }
            println!("API token {id} revoked");
        }
    }
    store.close().await;
    Ok(())
}
