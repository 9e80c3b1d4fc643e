//! The job queue's storage: jobs and their transitions (the audit log).
//!
//! Which transitions are legal is `pulse-jobs`' business; this module records them with
//! compare-and-set updates (a change applies only if the job is still in the state the
//! caller saw), so two actors can never both move one job. Client handles see their own
//! jobs; claiming, heartbeats and completion act across clients through [`JobQueue`],
//! the only code that sets PostgreSQL's `pulse.scheduler` flag.

use chrono::Duration;

use super::codec::{Args, ColumnReader, ColumnWriter, DbRow};
use super::tx::Inner;
use super::{Backend, ClientStore, ClientTx, Store};
use crate::error::{Error, Result};
use crate::ids::{ClientId, IntegrationId, ScheduleId};
use crate::model::*;

const JOB_COLUMNS: &str = "id, client_id, kind, integration_id, schedule_id, state, attempts, max_attempts, run_after, \
     lease_owner, lease_expires_at, pause_requested, cancel_requested, progress, error, created_at, started_at, \
     finished_at, updated_at";

fn read_job(row: &DbRow) -> Result<Job> {
    let mut r = ColumnReader::new(row);
    let id = JobId::new(r.int()?);
    let client = ClientId::new(r.int()?);
    let kind_name = r.text()?;
    let integration = r.opt_int()?;
    let kind = JobKind::from_parts(&kind_name, integration)?;
    let count = |n: i64| u32::try_from(n).map_err(|_| Error::corrupt("attempts", "out of range"));
    Ok(Job {
        id,
        client,
        kind,
        schedule: r.opt_int()?.map(ScheduleId::new),
        state: r.parsed(JobState::parse)?,
        attempts: count(r.int()?)?,
        max_attempts: count(r.int()?)?,
        run_after: r.ts()?,
        lease_owner: r.opt_text()?,
        lease_expires_at: r.opt_ts()?,
        pause_requested: r.bool()?,
        cancel_requested: r.bool()?,
        progress: r.opt_json()?,
        error: r.opt_text()?,
        created_at: r.ts()?,
        started_at: r.opt_ts()?,
        finished_at: r.opt_ts()?,
        updated_at: r.ts()?,
    })
}

fn read_transition(row: &DbRow) -> Result<JobTransition> {
    let mut r = ColumnReader::new(row);
    Ok(JobTransition {
        job: JobId::new(r.int()?),
        from: r.opt_parsed(JobState::parse)?,
        to: r.parsed(JobState::parse)?,
        actor: r.text()?,
        reason: r.text()?,
        at: r.ts()?,
    })
}

/// What a state change also sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobChanges {
    /// Not claimable before this (retry backoff).
    pub run_after: Option<Timestamp>,
    /// The error to keep (`Some(None)` clears it).
    pub error: Option<Option<String>>,
    /// Start counting attempts afresh (a manual retry).
    pub reset_attempts: bool,
}

/// The flags a running job checks at each page boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobFlags {
    pub pause_requested: bool,
    pub cancel_requested: bool,
}

fn is_terminal(state: JobState) -> bool {
    matches!(state, JobState::Finished | JobState::Cancelled)
}

/// Writes the column updates of a transition into `args` (after $1.. already bound) and
/// returns the SET clause, numbering parameters from `next`.
fn changes_sql(to: JobState, changes: &JobChanges, now: Timestamp, args: &mut Args, mut next: usize) -> String {
    let mut set = vec![format!("state = ${next}")];
    args.text(to.as_str());
    next += 1;
    set.push(format!("updated_at = ${next}"));
    args.ts(now);
    next += 1;
    if to != JobState::Active {
        set.push("lease_owner = NULL".into());
        set.push("lease_expires_at = NULL".into());
        set.push("pause_requested = FALSE".into());
    }
    if !matches!(to, JobState::Active | JobState::Paused) {
        set.push("cancel_requested = FALSE".into());
    }
    if is_terminal(to) || to == JobState::Failed {
        set.push(format!("finished_at = ${next}"));
        args.ts(now);
        next += 1;
    }
    if let Some(run_after) = changes.run_after {
        set.push(format!("run_after = ${next}"));
        args.ts(run_after);
        next += 1;
    }
    if let Some(error) = &changes.error {
        set.push(format!("error = ${next}"));
        args.opt_text(error.as_deref());
    }
    if changes.reset_attempts {
        set.push("attempts = 0".into());
    }
    set.join(", ")
}

/// One audit row to write.
struct Recorded<'a> {
    client: ClientId,
    job: JobId,
    from: Option<JobState>,
    to: JobState,
    actor: &'a str,
    reason: &'a str,
    at: Timestamp,
}

async fn record_transition(inner: &mut Inner, r: Recorded<'_>) -> Result<()> {
    let Recorded { client, job, from, to, actor, reason, at: now } = r;
    let mut args = Args::for_backend(inner.backend());
    args.int(client.get());
    args.int(job.get());
    args.opt_text(from.map(JobState::as_str));
    args.text(to.as_str());
    args.text(actor);
    args.text(reason);
    args.ts(now);
    inner
        .execute(
            "INSERT INTO job_transitions (client_id, job_id, from_state, to_state, actor, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args,
        )
        .await?;
    Ok(())
}

impl ClientTx {
    /// Saves a running job's latest progress, in the transaction that lands its page.
    pub async fn record_job_progress(&mut self, job: JobId, progress: &serde_json::Value) -> Result<()> {
        let mut args = self.scoped_args();
        args.int(job.get());
        args.json(progress);
        args.ts(chrono::Utc::now());
        self.execute("UPDATE jobs SET progress = $3, updated_at = $4 WHERE client_id = $1 AND id = $2", args).await?;
        Ok(())
    }

    async fn fetch_job(&mut self, id: JobId) -> Result<Option<Job>> {
        let mut args = self.scoped_args();
        args.int(id.get());
        let row = self
            .fetch_optional(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE client_id = $1 AND id = $2"), args)
            .await?;
        row.as_ref().map(read_job).transpose()
    }
}

impl ClientStore {
    /// Queues a job (PENDING) and records who asked for it.
    pub async fn enqueue_job(&self, new: &NewJob, actor: &str) -> Result<Job> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.text(new.kind.name());
        args.opt_int(new.kind.integration().map(IntegrationId::get));
        args.opt_int(new.schedule.map(ScheduleId::get));
        args.int(i64::from(new.max_attempts.max(1)));
        args.ts(new.run_after.unwrap_or(now));
        args.ts(now);
        let row = tx
            .fetch_optional(
                &format!(
                    "INSERT INTO jobs (client_id, kind, integration_id, schedule_id, state, max_attempts, run_after, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $7) RETURNING {JOB_COLUMNS}"
                ),
                args,
            )
            .await;
        let row = match row {
            Err(e) if is_foreign_key_violation(&e) => return Err(Error::NotFound { entity: "integration" }),
            other => other?.expect("INSERT … RETURNING returns a row"),
        };
        let job = read_job(&row)?;
        record_transition(
            &mut tx.inner,
            Recorded {
                client: self.id(),
                job: job.id,
                from: None,
                to: JobState::Pending,
                actor,
                reason: "enqueued",
                at: now,
            },
        )
        .await?;
        announce(&mut tx.inner).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// This client's jobs, newest first.
    pub async fn jobs(&self, limit: u32) -> Result<Vec<Job>> {
        let mut tx = self.begin_read().await?;
        let mut args = tx.scoped_args();
        args.int(i64::from(limit));
        let rows = tx
            .fetch_all(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE client_id = $1 ORDER BY id DESC LIMIT $2"), args)
            .await?;
        tx.commit().await?;
        rows.iter().map(read_job).collect()
    }

    /// Whether a job of this schedule is still queued, running or paused (its next run
    /// then waits). Reads only the client's open jobs (index on client and state), however
    /// many finished ones it has.
    pub async fn schedule_has_open_job(&self, schedule: ScheduleId) -> Result<bool> {
        let mut tx = self.begin_read().await?;
        let mut args = tx.scoped_args();
        args.int(schedule.get());
        let row = tx
            .fetch_optional(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE client_id = $1 AND schedule_id = $2 \
                 AND state IN ('PENDING', 'ACTIVE', 'PAUSED'))",
                args,
            )
            .await?
            .expect("EXISTS returns a row");
        tx.commit().await?;
        ColumnReader::new(&row).bool()
    }

    pub async fn job(&self, id: JobId) -> Result<Option<Job>> {
        let mut tx = self.begin_read().await?;
        let job = tx.fetch_job(id).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Every recorded state change of a job, oldest first.
    pub async fn job_history(&self, id: JobId) -> Result<Vec<JobTransition>> {
        let mut tx = self.begin_read().await?;
        let mut args = tx.scoped_args();
        args.int(id.get());
        let rows = tx
            .fetch_all(
                "SELECT job_id, from_state, to_state, actor, reason, at FROM job_transitions \
                 WHERE client_id = $1 AND job_id = $2 ORDER BY id",
                args,
            )
            .await?;
        tx.commit().await?;
        rows.iter().map(read_transition).collect()
    }

    /// Moves a job from `from` to `to` if it is still in `from`, recording the change.
    /// [`Error::NotFound`] when this client has no such job, [`Error::Conflict`] when it
    /// is no longer in `from`. Legality is the caller's (`pulse-jobs`') to check.
    pub async fn transition_job(
        &self,
        id: JobId,
        from: JobState,
        to: JobState,
        changes: &JobChanges,
        actor: &str,
        reason: &str,
    ) -> Result<Job> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.int(id.get());
        args.text(from.as_str());
        let set = changes_sql(to, changes, now, &mut args, 4);
        let n =
            tx.execute(&format!("UPDATE jobs SET {set} WHERE client_id = $1 AND id = $2 AND state = $3"), args).await?;
        if n == 0 {
            return Err(match tx.fetch_job(id).await? {
                None => Error::NotFound { entity: "job" },
                Some(job) => Error::Conflict { entity: "job", reason: format!("it is {}, not {}", job.state, from) },
            });
        }
        record_transition(
            &mut tx.inner,
            Recorded { client: self.id(), job: id, from: Some(from), to, actor, reason, at: now },
        )
        .await?;
        if to == JobState::Pending {
            announce(&mut tx.inner).await?;
        }
        let job = tx.fetch_job(id).await?.expect("the job was just updated");
        tx.commit().await?;
        Ok(job)
    }

    /// Takes a schedule's due run: moves its `next_run_at` from `due` to `next` and
    /// records `ran_at`, only if it still reads `due`. `false` when another worker took it.
    pub async fn take_schedule_run(
        &self,
        id: ScheduleId,
        due: Timestamp,
        ran_at: Timestamp,
        next: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.int(id.get());
        args.ts(due);
        args.ts(ran_at);
        args.ts(next);
        let n = tx
            .execute(
                "UPDATE job_schedules SET last_run_at = $4, next_run_at = $5 \
                 WHERE client_id = $1 AND id = $2 AND next_run_at = $3",
                args,
            )
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Asks a running job to pause or to stop at its next page boundary.
    pub async fn request_job_stop(&self, id: JobId, cancel: bool) -> Result<Job> {
        let mut tx = self.begin().await?;
        let mut args = tx.scoped_args();
        args.int(id.get());
        args.ts(chrono::Utc::now());
        let column = if cancel { "cancel_requested" } else { "pause_requested" };
        let n = tx
            .execute(
                &format!("UPDATE jobs SET {column} = TRUE, updated_at = $3 WHERE client_id = $1 AND id = $2 AND state = 'ACTIVE'"),
                args,
            )
            .await?;
        let job = tx.fetch_job(id).await?.ok_or(Error::NotFound { entity: "job" })?;
        if n == 0 {
            return Err(Error::Conflict { entity: "job", reason: format!("it is {}, not ACTIVE", job.state) });
        }
        tx.commit().await?;
        Ok(job)
    }
}

fn is_foreign_key_violation(err: &Error) -> bool {
    match err {
        Error::Storage { source, .. } => source
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .is_some_and(|e| e.is_foreign_key_violation()),
        _ => false,
    }
}

/// Claiming, heartbeats and completion across clients: the workers' view of the queue.
#[derive(Debug, Clone)]
pub struct JobQueue {
    store: Store,
}

impl Store {
    pub fn job_queue(&self) -> JobQueue {
        JobQueue { store: self.clone() }
    }
}

/// Wakes an idle worker: on PostgreSQL when a job is queued (`LISTEN pulse_jobs`), else
/// (and always, as a fallback) after the poll interval.
pub struct JobWakeups {
    listener: Option<sqlx::postgres::PgListener>,
}

impl JobWakeups {
    /// Waits for a queued job or `poll`, whichever comes first.
    pub async fn wait(&mut self, poll: std::time::Duration) {
        match &mut self.listener {
            Some(listener) => {
                if let Ok(Err(e)) = tokio::time::timeout(poll, listener.recv()).await {
                    // A broken listener degrades to polling rather than failing the worker.
                    tracing::warn!(error = %e, "job notifications stopped; polling instead");
                    self.listener = None;
                }
            }
            None => tokio::time::sleep(poll).await,
        }
    }
}

/// The channel queued jobs are announced on.
const CHANNEL: &str = "pulse_jobs";

async fn announce(inner: &mut Inner) -> Result<()> {
    if inner.backend() == Backend::Postgres {
        let mut args = Args::for_backend(Backend::Postgres);
        args.text(CHANNEL);
        inner.execute("SELECT pg_notify($1, '')", args).await?;
    }
    Ok(())
}

/// A claimed job and what it was before the claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub job: Job,
    /// The worker whose expired lease this claim took over, if any.
    pub took_over_from: Option<String>,
}

impl JobQueue {
    /// Notifications of queued jobs for an idle worker.
    pub async fn wakeups(&self) -> Result<JobWakeups> {
        let listener = match self.store.pool() {
            super::Pool::Postgres(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(CHANNEL).await?;
                Some(listener)
            }
            super::Pool::Sqlite(_) => None,
        };
        Ok(JobWakeups { listener })
    }

    /// A transaction allowed to see every client's jobs.
    async fn begin(&self) -> Result<Inner> {
        let mut inner = Inner::begin_global(&self.store).await?;
        if inner.backend() == Backend::Postgres {
            let mut args = Args::for_backend(Backend::Postgres);
            args.text("on");
            inner.execute("SELECT set_config('pulse.scheduler', $1, true)", args).await?;
        }
        Ok(inner)
    }

    /// Claims the next job for `worker`, holding it for `lease`: a PENDING job whose time
    /// has come, or an ACTIVE one whose worker's lease expired. Clients take turns: the
    /// client with the fewest running jobs, then the one that started a job least
    /// recently, then likewise among its integrations, then the oldest job.
    pub async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claim>> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let backend = tx.backend();
        let mut args = Args::for_backend(backend);
        args.ts(now);
        args.ts(chrono::DateTime::UNIX_EPOCH);
        let lock = if backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "SELECT j.id, j.client_id, j.state, j.lease_owner FROM jobs j \
             WHERE (j.state = 'PENDING' AND j.run_after <= $1) OR (j.state = 'ACTIVE' AND j.lease_expires_at < $1) \
             ORDER BY \
               (SELECT COUNT(*) FROM jobs a WHERE a.client_id = j.client_id AND a.state = 'ACTIVE' AND a.lease_expires_at >= $1), \
               COALESCE((SELECT MAX(a.started_at) FROM jobs a WHERE a.client_id = j.client_id), $2), \
               COALESCE((SELECT MAX(a.started_at) FROM jobs a WHERE a.client_id = j.client_id \
                         AND a.integration_id = j.integration_id), $2), \
               j.run_after, j.id \
             LIMIT 1{lock}"
        );
        let Some(row) = tx.fetch_optional(&sql, args).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        let mut r = ColumnReader::new(&row);
        let (id, client) = (JobId::new(r.int()?), ClientId::new(r.int()?));
        let previous = r.parsed(JobState::parse)?;
        let previous_owner = r.opt_text()?;

        let mut args = Args::for_backend(backend);
        args.int(id.get());
        args.text(worker);
        args.ts(now + lease);
        args.ts(now);
        args.text(previous.as_str());
        tx.execute(
            "UPDATE jobs SET state = 'ACTIVE', lease_owner = $2, lease_expires_at = $3, started_at = $4, \
             updated_at = $4, attempts = attempts + 1 WHERE id = $1 AND state = $5",
            args,
        )
        .await?;
        let actor = format!("worker:{worker}");
        let took_over_from = if previous == JobState::Active {
            let dead = previous_owner.clone().unwrap_or_default();
            record_transition(
                &mut tx,
                Recorded {
                    client,
                    job: id,
                    from: Some(JobState::Active),
                    to: JobState::Pending,
                    actor: &actor,
                    reason: &format!("the lease of worker {dead} expired"),
                    at: now,
                },
            )
            .await?;
            record_transition(
                &mut tx,
                Recorded {
                    client,
                    job: id,
                    from: Some(JobState::Pending),
                    to: JobState::Active,
                    actor: &actor,
                    reason: "claimed after an expired lease",
                    at: now,
                },
            )
            .await?;
            previous_owner
        } else {
            record_transition(
                &mut tx,
                Recorded {
                    client,
                    job: id,
                    from: Some(JobState::Pending),
                    to: JobState::Active,
                    actor: &actor,
                    reason: "claimed",
                    at: now,
                },
            )
            .await?;
            None
        };
        let mut args = Args::for_backend(backend);
        args.int(id.get());
        let row = tx.fetch_optional(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"), args).await?;
        let job = read_job(&row.expect("the claimed job exists"))?;
        tx.commit().await?;
        Ok(Some(Claim { job, took_over_from }))
    }

    /// Extends `worker`'s lease on a job and reads its flags; `None` when the worker no
    /// longer holds it (its lease expired and another worker took the job).
    pub async fn heartbeat(&self, id: JobId, worker: &str, lease: Duration) -> Result<Option<JobFlags>> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let mut args = Args::for_backend(tx.backend());
        args.int(id.get());
        args.text(worker);
        args.ts(now + lease);
        args.ts(now);
        let row = tx
            .fetch_optional(
                "UPDATE jobs SET lease_expires_at = $3, updated_at = $4 \
                 WHERE id = $1 AND lease_owner = $2 AND state = 'ACTIVE' RETURNING pause_requested, cancel_requested",
                args,
            )
            .await?;
        tx.commit().await?;
        row.map(|row| {
            let mut r = ColumnReader::new(&row);
            Ok(JobFlags { pause_requested: r.bool()?, cancel_requested: r.bool()? })
        })
        .transpose()
    }

    /// Ends `worker`'s run of a job: ACTIVE → `to`, only while the worker holds it.
    /// `false` when it no longer does (nothing is changed then).
    pub async fn finish(
        &self,
        job: &Job,
        worker: &str,
        to: JobState,
        changes: &JobChanges,
        reason: &str,
    ) -> Result<bool> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let mut args = Args::for_backend(tx.backend());
        args.int(job.id.get());
        args.text(worker);
        let set = changes_sql(to, changes, now, &mut args, 3);
        let n = tx
            .execute(&format!("UPDATE jobs SET {set} WHERE id = $1 AND lease_owner = $2 AND state = 'ACTIVE'"), args)
            .await?;
        if n == 0 {
            tx.commit().await?;
            return Ok(false);
        }
        record_transition(
            &mut tx,
            Recorded {
                client: job.client,
                job: job.id,
                from: Some(JobState::Active),
                to,
                actor: &format!("worker:{worker}"),
                reason,
                at: now,
            },
        )
        .await?;
        if to == JobState::Pending {
            announce(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Gives back every job `worker` holds (a graceful shutdown): ACTIVE → PENDING.
    pub async fn release(&self, worker: &str) -> Result<usize> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let mut args = Args::for_backend(tx.backend());
        args.text(worker);
        let rows =
            tx.fetch_all("SELECT id, client_id FROM jobs WHERE lease_owner = $1 AND state = 'ACTIVE'", args).await?;
        for row in &rows {
            let mut r = ColumnReader::new(row);
            let (id, client) = (JobId::new(r.int()?), ClientId::new(r.int()?));
            let mut args = Args::for_backend(tx.backend());
            args.int(id.get());
            args.ts(now);
            tx.execute(
                "UPDATE jobs SET state = 'PENDING', lease_owner = NULL, lease_expires_at = NULL, attempts = attempts - 1, \
                 updated_at = $2 WHERE id = $1",
                args,
            )
            .await?;
            record_transition(
                &mut tx,
                Recorded {
                    client,
                    job: id,
                    from: Some(JobState::Active),
                    to: JobState::Pending,
                    actor: &format!("worker:{worker}"),
                    reason: "the worker stopped",
                    at: now,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Schedules whose next run is due, across clients.
    pub async fn due_schedules(&self, now: Timestamp) -> Result<Vec<(ClientId, ScheduleId, IntegrationId, String)>> {
        let mut tx = self.begin().await?;
        let mut args = Args::for_backend(tx.backend());
        args.ts(now);
        let rows = tx
            .fetch_all(
                "SELECT client_id, id, integration_id, job FROM job_schedules \
                 WHERE state <> 'PAUSED' AND next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at",
                args,
            )
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let mut r = ColumnReader::new(row);
                Ok((ClientId::new(r.int()?), ScheduleId::new(r.int()?), IntegrationId::new(r.int()?), r.text()?))
            })
            .collect()
    }
}
