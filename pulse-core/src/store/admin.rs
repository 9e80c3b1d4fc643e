//! Clients, and each client's users, integrations, job schedules and projects.

use std::collections::BTreeMap;

use super::codec::{Args, ColumnReader, ColumnWriter, DbRow};
use super::table::{Record, Table, sealed::Row};
use super::tx::Inner;
use super::{ClientStore, ClientTx, Store};
use crate::error::{Error, Result};
use crate::ids::{ClientId, ClientSlug, IntegrationId, JiraProjectKey, ProjectName, RepoName, ScheduleId, UserId};
use crate::model::*;

// ---------------------------------------------------------------- clients

const CLIENT_COLUMNS: &str = "id, slug, display_name, logo_url, primary_color, accent_color, created_at";

fn read_client(row: &DbRow) -> Result<Client> {
    let mut r = ColumnReader::new(row);
    Ok(Client {
        id: ClientId::new(r.int()?),
        slug: r.parsed(ClientSlug::parse)?,
        branding: Branding {
            display_name: r.text()?,
            logo_url: r.opt_text()?,
            primary_color: r.opt_parsed(Color::parse)?,
            accent_color: r.opt_parsed(Color::parse)?,
        },
        created_at: r.ts()?,
    })
}

fn write_branding(args: &mut Args, b: &Branding) {
    args.text(&b.display_name);
    args.opt_text(b.logo_url.as_deref());
    args.opt_text(b.primary_color.as_ref().map(Color::as_str));
    args.opt_text(b.accent_color.as_ref().map(Color::as_str));
}

pub(super) fn is_unique_violation(err: &Error) -> bool {
    match err {
        Error::Storage { source, .. } => source
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .is_some_and(|e| e.is_unique_violation()),
        _ => false,
    }
}

pub(super) fn is_foreign_key_violation(err: &Error) -> bool {
    match err {
        Error::Storage { source, .. } => source
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .is_some_and(|e| e.is_foreign_key_violation()),
        _ => false,
    }
}

pub(crate) async fn insert_client(store: &Store, slug: &ClientSlug, branding: &Branding) -> Result<Client> {
    let mut tx = Inner::begin_global(store).await?;
    let mut args = Args::for_backend(tx.backend());
    args.text(slug.as_str());
    write_branding(&mut args, branding);
    let sql = format!(
        "INSERT INTO clients (slug, display_name, logo_url, primary_color, accent_color) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {CLIENT_COLUMNS}"
    );
    let row = match tx.fetch_optional(&sql, args).await {
        Err(e) if is_unique_violation(&e) => return Err(Error::AlreadyExists { entity: "client" }),
        other => other?.expect("INSERT … RETURNING returns a row"),
    };
    let client = read_client(&row)?;
    tx.commit().await?;
    Ok(client)
}

pub(crate) enum ClientLookup<'a> {
    Slug(&'a ClientSlug),
    Id(ClientId),
}

pub(crate) async fn find_client(store: &Store, lookup: ClientLookup<'_>) -> Result<Client> {
    let mut tx = Inner::begin_global(store).await?;
    let mut args = Args::for_backend(tx.backend());
    let filter = match lookup {
        ClientLookup::Slug(slug) => {
            args.text(slug.as_str());
            "slug"
        }
        ClientLookup::Id(id) => {
            args.int(id.get());
            "id"
        }
    };
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE {filter} = $1");
    let row = tx.fetch_optional(&sql, args).await?;
    tx.commit().await?;
    read_client(&row.ok_or(Error::NotFound { entity: "client" })?)
}

pub(crate) async fn list_clients(store: &Store) -> Result<Vec<Client>> {
    let mut tx = Inner::begin_global(store).await?;
    let args = Args::for_backend(tx.backend());
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY slug");
    let rows = tx.fetch_all(&sql, args).await?;
    tx.commit().await?;
    rows.iter().map(read_client).collect()
}

impl ClientStore {
    /// Changes how the dashboard presents this client.
    pub async fn set_branding(&mut self, branding: &Branding) -> Result<()> {
        let mut tx = Inner::begin_global(&self.store).await?;
        let mut args = Args::for_backend(tx.backend());
        args.int(self.client.id.get());
        write_branding(&mut args, branding);
        tx.execute(
            "UPDATE clients SET display_name = $2, logo_url = $3, primary_color = $4, accent_color = $5 WHERE id = $1",
            args,
        )
        .await?;
        tx.commit().await?;
        self.client.branding = branding.clone();
        Ok(())
    }
}

// ---------------------------------------------------------------- users

impl Row for NewUser {
    const TABLE: &'static Table =
        &Table { name: "users", columns: &["email", "display_name", "role"], key: &["email"] };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(self.email.as_str());
        w.text(&self.display_name);
        w.text(self.role.as_str());
    }
}

impl Record for NewUser {
    type Key = Email;
    fn key(&self) -> Email {
        self.email.clone()
    }
    fn write_key<W: ColumnWriter>(key: &Email, w: &mut W) {
        w.text(key.as_str());
    }
}

pub(super) const USER_COLUMNS: &str = "id, email, display_name, role, created_at";

fn read_user(row: &DbRow) -> Result<User> {
    read_user_columns(&mut ColumnReader::new(row))
}

/// Reads the [`USER_COLUMNS`] at the reader's position (more columns may follow).
pub(super) fn read_user_columns(r: &mut ColumnReader<'_>) -> Result<User> {
    Ok(User {
        id: UserId::new(r.int()?),
        email: r.parsed(Email::parse)?,
        display_name: r.text()?,
        role: r.parsed(Role::parse)?,
        created_at: r.ts()?,
    })
}

// ---------------------------------------------------------------- integrations

impl Row for NewIntegration {
    const TABLE: &'static Table = &Table {
        name: "integrations",
        columns: &["name", "kind", "base_url", "credentials", "settings"],
        key: &["name"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(&self.name);
        w.text(self.kind.as_str());
        w.text(&self.base_url);
        w.bytes(&self.credentials.0);
        w.json(&self.settings);
    }
}

impl Record for NewIntegration {
    type Key = String;
    fn key(&self) -> String {
        self.name.clone()
    }
    fn write_key<W: ColumnWriter>(key: &String, w: &mut W) {
        w.text(key);
    }
}

const INTEGRATION_COLUMNS: &str = "id, name, kind, base_url, credentials, settings, created_at";

fn read_integration(row: &DbRow) -> Result<Integration> {
    let mut r = ColumnReader::new(row);
    Ok(Integration {
        id: IntegrationId::new(r.int()?),
        name: r.text()?,
        kind: r.parsed(IntegrationKind::parse)?,
        base_url: r.text()?,
        credentials: SealedCredentials(r.bytes()?),
        settings: r.json()?,
        created_at: r.ts()?,
    })
}

// ---------------------------------------------------------------- job schedules

impl Row for NewJobSchedule {
    const TABLE: &'static Table = &Table {
        name: "job_schedules",
        columns: &["integration_id", "job", "interval_seconds", "cron", "state", "next_run_at"],
        key: &["integration_id", "job"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.int(self.integration_id.get());
        w.text(&self.job);
        match &self.cadence {
            Cadence::Interval { seconds } => {
                w.opt_int(Some(i64::from(*seconds)));
                w.opt_text(None);
            }
            Cadence::Cron { expression } => {
                w.opt_int(None);
                w.opt_text(Some(expression));
            }
        }
        w.text(self.state.as_str());
        w.opt_ts(self.next_run_at);
    }
}

impl Record for NewJobSchedule {
    type Key = (IntegrationId, String);
    fn key(&self) -> Self::Key {
        (self.integration_id, self.job.clone())
    }
    fn write_key<W: ColumnWriter>((integration, job): &Self::Key, w: &mut W) {
        w.int(integration.get());
        w.text(job);
    }
}

const SCHEDULE_COLUMNS: &str =
    "id, integration_id, job, interval_seconds, cron, state, next_run_at, last_run_at, last_error";

fn read_schedule(row: &DbRow) -> Result<JobSchedule> {
    let mut r = ColumnReader::new(row);
    let id = ScheduleId::new(r.int()?);
    let integration_id = IntegrationId::new(r.int()?);
    let job = r.text()?;
    let cadence = match (r.opt_int()?, r.opt_text()?) {
        (Some(seconds), None) => Cadence::Interval {
            seconds: u32::try_from(seconds).map_err(|_| Error::corrupt("interval_seconds", "out of range"))?,
        },
        (None, Some(expression)) => Cadence::Cron { expression },
        _ => {
            return Err(Error::corrupt("interval_seconds", "exactly one of interval and cron must be set"));
        }
    };
    Ok(JobSchedule {
        id,
        integration_id,
        job,
        cadence,
        state: r.parsed(JobState::parse)?,
        next_run_at: r.opt_ts()?,
        last_run_at: r.opt_ts()?,
        last_error: r.opt_text()?,
    })
}

// ---------------------------------------------------------------- projects

impl Row for Project {
    const TABLE: &'static Table = &Table {
        name: "projects",
        columns: &[
            "name",
            "production_pattern",
            "deploy_workflow_pattern",
            "incident_types",
            "incident_label",
            "hotfix_label",
            "bots",
        ],
        key: &["name"],
    };
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        let rules = &self.rules;
        w.text(self.name.as_str());
        w.text(rules.production_pattern.as_str());
        w.opt_text(rules.deploy_workflow_pattern.as_ref().map(Pattern::as_str));
        w.text_list(&rules.incident_types.iter().map(String::as_str).collect::<Vec<_>>());
        w.text(&rules.incident_label);
        w.text(&rules.hotfix_label);
        w.text_list(&rules.bots.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

impl Record for Project {
    type Key = ProjectName;
    fn key(&self) -> ProjectName {
        self.name.clone()
    }
    fn write_key<W: ColumnWriter>(key: &ProjectName, w: &mut W) {
        w.text(key.as_str());
    }
}

/// One row of a project's membership tables (repos, Jira projects, team members).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Member<const T: u8> {
    project: String,
    values: [String; 2],
}

const REPO: u8 = 0;
const JIRA: u8 = 1;
const TEAM: u8 = 2;

const MEMBER_TABLES: [Table; 3] = [
    Table { name: "project_repos", columns: &["project", "repo"], key: &["project", "repo"] },
    Table { name: "project_jira_projects", columns: &["project", "jira_project"], key: &["project", "jira_project"] },
    Table { name: "project_team_members", columns: &["project", "team", "login"], key: &["project", "team", "login"] },
];

impl<const T: u8> Row for Member<T> {
    const TABLE: &'static Table = &MEMBER_TABLES[T as usize];
    fn write<W: ColumnWriter>(&self, w: &mut W) {
        w.text(&self.project);
        let used = Self::TABLE.columns.len() - 1;
        for v in &self.values[2 - used..] {
            w.text(v);
        }
    }
}

impl<const T: u8> Record for Member<T> {
    type Key = Self;
    fn key(&self) -> Self {
        self.clone()
    }
    fn write_key<W: ColumnWriter>(key: &Self, w: &mut W) {
        key.write(w);
    }
}

fn member<const T: u8>(project: &ProjectName, a: &str, b: &str) -> Member<T> {
    Member { project: project.as_str().to_owned(), values: [a.to_owned(), b.to_owned()] }
}

impl ClientTx {
    /// Creates or replaces projects by name, including their repositories, Jira
    /// projects and teams (a repository left out of the new list leaves the project).
    pub async fn upsert_projects(&mut self, projects: &[Project]) -> Result<()> {
        self.upsert(projects).await?;
        let (mut repos, mut jira, mut teams) = (Vec::new(), Vec::new(), Vec::new());
        for p in projects {
            for table in &MEMBER_TABLES {
                let mut args = self.scoped_args();
                args.text(p.name.as_str());
                self.execute(&format!("DELETE FROM {} WHERE client_id = $1 AND project = $2", table.name), args)
                    .await?;
            }
            repos.extend(p.repos.iter().map(|r| member::<REPO>(&p.name, "", r.as_str())));
            jira.extend(p.jira_projects.iter().map(|k| member::<JIRA>(&p.name, "", k.as_str())));
            for (team, logins) in &p.teams {
                teams.extend(logins.iter().map(|l| member::<TEAM>(&p.name, team, l)));
            }
        }
        self.upsert(&repos).await?;
        self.upsert(&jira).await?;
        self.upsert(&teams).await?;
        Ok(())
    }

    /// A project with its members, if this client has it.
    pub async fn project(&mut self, name: &ProjectName) -> Result<Option<Project>> {
        let mut args = self.scoped_args();
        Project::write_key(name, &mut args);
        let Some(row) = self.fetch_optional(&Project::TABLE.select_by_key_sql(), args).await? else {
            return Ok(None);
        };
        let mut r = ColumnReader::new(&row);
        let mut project = Project {
            name: r.parsed(ProjectName::parse)?,
            repos: Vec::new(),
            jira_projects: Vec::new(),
            rules: ProjectRules {
                production_pattern: r.parsed(Pattern::parse)?,
                deploy_workflow_pattern: r.opt_parsed(Pattern::parse)?,
                incident_types: r.text_list()?,
                incident_label: r.text()?,
                hotfix_label: r.text()?,
                bots: r.text_list()?,
            },
            teams: BTreeMap::new(),
        };
        for (i, table) in MEMBER_TABLES.iter().enumerate() {
            let mut args = self.scoped_args();
            args.text(name.as_str());
            let columns = &table.columns[1..];
            let sql = format!(
                "SELECT {} FROM {} WHERE client_id = $1 AND project = $2 ORDER BY {}",
                columns.join(", "),
                table.name,
                columns.join(", ")
            );
            for row in self.fetch_all(&sql, args).await? {
                let mut r = ColumnReader::new(&row);
                match i as u8 {
                    REPO => project.repos.push(r.parsed(RepoName::parse)?),
                    JIRA => project.jira_projects.push(r.parsed(JiraProjectKey::parse)?),
                    _ => {
                        let team = r.text()?;
                        project.teams.entry(team).or_default().push(r.text()?);
                    }
                }
            }
        }
        Ok(Some(project))
    }

    /// Names of this client's projects.
    pub async fn project_names(&mut self) -> Result<Vec<ProjectName>> {
        let args = self.scoped_args();
        let rows = self.fetch_all("SELECT name FROM projects WHERE client_id = $1 ORDER BY name", args).await?;
        rows.iter().map(|row| ColumnReader::new(row).parsed(ProjectName::parse)).collect()
    }

    /// Every project of this client, by name, with its members.
    pub async fn projects(&mut self) -> Result<Vec<Project>> {
        let mut projects = Vec::new();
        for name in self.project_names().await? {
            projects.extend(self.project(&name).await?);
        }
        Ok(projects)
    }
}

impl ClientStore {
    /// Creates or replaces one project with its members.
    pub async fn upsert_project(&self, project: &Project) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.upsert_projects(std::slice::from_ref(project)).await?;
        tx.commit().await
    }

    pub async fn project(&self, name: &ProjectName) -> Result<Option<Project>> {
        let mut tx = self.begin_read().await?;
        let project = tx.project(name).await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Every project of this client, by name.
    pub async fn projects(&self) -> Result<Vec<Project>> {
        let mut tx = self.begin_read().await?;
        let projects = tx.projects().await?;
        tx.commit().await?;
        Ok(projects)
    }

    /// Deletes a project (its members go with it; repositories and data stay).
    pub async fn delete_project(&self, name: &ProjectName) -> Result<bool> {
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.text(name.as_str());
        tx.wrote("projects");
        let n = tx.execute("DELETE FROM projects WHERE client_id = $1 AND name = $2", args).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    // ------------------------------------------------------------ users

    /// Creates or updates a user by e-mail address.
    pub async fn upsert_user(&self, user: &NewUser) -> Result<User> {
        self.upsert(std::slice::from_ref(user)).await?;
        self.user_by_email(&user.email).await?.ok_or(Error::NotFound { entity: "user" })
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        self.fetch_one_by("users", USER_COLUMNS, "id", |a| a.int(id.get()), read_user).await
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.fetch_one_by("users", USER_COLUMNS, "email", |a| a.text(email.as_str()), read_user).await
    }

    /// Whether the user has set a password (an invitation is spent once one is set).
    /// `false` for a user this client does not have.
    pub async fn has_password(&self, id: UserId) -> Result<bool> {
        let set = self
            .fetch_one_by(
                "users",
                "password_hash IS NOT NULL",
                "id",
                |a| a.int(id.get()),
                |row| ColumnReader::new(row).bool(),
            )
            .await?;
        Ok(set.unwrap_or(false))
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        self.fetch_all_of("users", USER_COLUMNS, "email", read_user).await
    }

    /// Changes a user's role; [`Error::NotFound`] when this client has no such user.
    pub async fn set_user_role(&self, id: UserId, role: Role) -> Result<()> {
        self.update_one("UPDATE users SET role = $3 WHERE client_id = $1 AND id = $2", "user", |a| {
            a.int(id.get());
            a.text(role.as_str());
        })
        .await
    }

    pub async fn delete_user(&self, id: UserId) -> Result<bool> {
        self.delete_by_id("users", id.get()).await
    }

    // ------------------------------------------------------------ integrations

    /// Creates or updates an integration by name.
    pub async fn upsert_integration(&self, integration: &NewIntegration) -> Result<Integration> {
        self.upsert(std::slice::from_ref(integration)).await?;
        self.fetch_one_by("integrations", INTEGRATION_COLUMNS, "name", |a| a.text(&integration.name), read_integration)
            .await?
            .ok_or(Error::NotFound { entity: "integration" })
    }

    pub async fn integration(&self, id: IntegrationId) -> Result<Option<Integration>> {
        self.fetch_one_by("integrations", INTEGRATION_COLUMNS, "id", |a| a.int(id.get()), read_integration).await
    }

    pub async fn integrations(&self) -> Result<Vec<Integration>> {
        self.fetch_all_of("integrations", INTEGRATION_COLUMNS, "name", read_integration).await
    }

    /// Replaces an integration's settings; [`Error::NotFound`] when this client has no
    /// such integration.
    pub async fn set_integration_settings(&self, id: IntegrationId, settings: &serde_json::Value) -> Result<()> {
        self.update_one("UPDATE integrations SET settings = $3 WHERE client_id = $1 AND id = $2", "integration", |a| {
            a.int(id.get());
            a.json(settings);
        })
        .await
    }

    /// Deletes an integration and its schedules.
    pub async fn delete_integration(&self, id: IntegrationId) -> Result<bool> {
        self.delete_by_id("integrations", id.get()).await
    }

    // ------------------------------------------------------------ job schedules

    /// Creates or updates the schedule of (integration, job). The integration must be
    /// this client's: another client's integration id is [`Error::NotFound`].
    pub async fn upsert_schedule(&self, schedule: &NewJobSchedule) -> Result<JobSchedule> {
        match self.upsert(std::slice::from_ref(schedule)).await {
            Err(e) if is_foreign_key_violation(&e) => {
                return Err(Error::NotFound { entity: "integration" });
            }
            other => other?,
        };
        let mut tx = self.begin_read().await?;
        let mut args = tx.scoped_args();
        NewJobSchedule::write_key(&schedule.key(), &mut args);
        let sql = format!(
            "SELECT {SCHEDULE_COLUMNS} FROM job_schedules WHERE client_id = $1 AND integration_id = $2 AND job = $3"
        );
        let row = tx.fetch_optional(&sql, args).await?;
        tx.commit().await?;
        read_schedule(&row.ok_or(Error::NotFound { entity: "job schedule" })?)
    }

    pub async fn schedule(&self, id: ScheduleId) -> Result<Option<JobSchedule>> {
        self.fetch_one_by("job_schedules", SCHEDULE_COLUMNS, "id", |a| a.int(id.get()), read_schedule).await
    }

    pub async fn schedules(&self) -> Result<Vec<JobSchedule>> {
        self.fetch_all_of("job_schedules", SCHEDULE_COLUMNS, "id", read_schedule).await
    }

    /// Records a schedule's new state; [`Error::NotFound`] for another client's schedule.
    pub async fn set_schedule_state(&self, id: ScheduleId, state: JobState) -> Result<()> {
        self.update_one("UPDATE job_schedules SET state = $3 WHERE client_id = $1 AND id = $2", "job schedule", |a| {
            a.int(id.get());
            a.text(state.as_str());
        })
        .await
    }

    pub async fn delete_schedule(&self, id: ScheduleId) -> Result<bool> {
        self.delete_by_id("job_schedules", id.get()).await
    }

    // ------------------------------------------------------------ shared plumbing

    async fn fetch_one_by<T>(
        &self,
        table: &str,
        columns: &str,
        column: &str,
        bind: impl FnOnce(&mut Args),
        read: fn(&DbRow) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut tx = self.begin_read().await?;
        let mut args = tx.scoped_args();
        bind(&mut args);
        let sql = format!("SELECT {columns} FROM {table} WHERE client_id = $1 AND {column} = $2");
        let row = tx.fetch_optional(&sql, args).await?;
        tx.commit().await?;
        row.as_ref().map(read).transpose()
    }

    async fn fetch_all_of<T>(
        &self,
        table: &str,
        columns: &str,
        order: &str,
        read: fn(&DbRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut tx = self.begin_read().await?;
        let args = tx.scoped_args();
        let sql = format!("SELECT {columns} FROM {table} WHERE client_id = $1 ORDER BY {order}");
        let rows = tx.fetch_all(&sql, args).await?;
        tx.commit().await?;
        rows.iter().map(read).collect()
    }

    async fn update_one(&self, sql: &str, entity: &'static str, bind: impl FnOnce(&mut Args)) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        bind(&mut args);
        let n = tx.execute(sql, args).await?;
        tx.commit().await?;
        if n == 0 { Err(Error::NotFound { entity }) } else { Ok(()) }
    }

    async fn delete_by_id(&self, table: &str, id: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.int(id);
        let n = tx.execute(&format!("DELETE FROM {table} WHERE client_id = $1 AND id = $2"), args).await?;
        tx.commit().await?;
        Ok(n > 0)
    }
}
