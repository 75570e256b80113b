//! The durable job queue: enqueue inside the transaction that needs the work done, claim
//! with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so nodes never take the same job),
//! then finish, retry later, or mark dead with the last error.

use crate::rows::{json, parse};
use crate::{Dialect, Result, StoreError, Tx, run};
use domain::{Job, JobId, JobStatus, Millis, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    workspace_id: Uuid,
    kind: String,
    payload: Json<serde_json::Value>,
    status: String,
    run_at: i64,
    attempts: i64,
    max_attempts: i64,
    last_error: Option<String>,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;
    fn try_from(r: JobRow) -> Result<Self> {
        Ok(Job {
            id: JobId(r.id),
            workspace_id: WorkspaceId(r.workspace_id),
            kind: r.kind,
            payload: json(r.payload.0, "job payload")?,
            status: parse(&r.status)?,
            run_at: r.run_at,
            attempts: r.attempts as i32,
            max_attempts: r.max_attempts as i32,
            last_error: r.last_error,
        })
    }
}

const RETURNING: &str = "RETURNING id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, last_error";

impl Tx {
    /// Queues a job.
    pub async fn enqueue_job(&mut self, j: &Job, now: Millis) -> Result<()> {
        let q = "INSERT INTO jobs (id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $8)";
        run!(self, |c| sqlx::query(q)
            .bind(j.id.0)
            .bind(j.workspace_id.0)
            .bind(&j.kind)
            .bind(Json(&j.payload))
            .bind(JobStatus::Queued.as_str())
            .bind(j.run_at)
            .bind(j.max_attempts as i64)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Claims up to `limit` due jobs (queued and due, or running with an expired lease),
    /// counting an attempt and leasing them until `lease_until`.
    pub async fn claim_jobs(&mut self, now: Millis, lease_until: Millis, limit: usize) -> Result<Vec<Job>> {
        let lock = if self.dialect() == Dialect::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let q = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1 \
             WHERE id IN (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $1) \
             OR (status = 'running' AND lease_until < $1) ORDER BY run_at, id LIMIT $3 {lock}) {RETURNING}"
        );
        let rows: Vec<JobRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(now)
            .bind(lease_until)
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        // RETURNING follows no order; jobs due together run in the order they were queued
        // (ids are UUIDv7, increasing within a process), so a conversation's events are
        // handled as they happened.
        let mut jobs = crate::rows::collect(rows, Job::try_from)?;
        jobs.sort_by_key(|j| (j.run_at, j.id.0));
        Ok(jobs)
    }

    /// Marks a job done.
    pub async fn finish_job(&mut self, id: JobId, now: Millis) -> Result<()> {
        let q = "UPDATE jobs SET status = 'done', lease_until = NULL, last_error = NULL, updated_at = $2 WHERE id = $1";
        run!(self, |c| sqlx::query(q).bind(id.0).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Puts a failed job back in the queue to run at `run_at`, keeping the error.
    pub async fn retry_job(&mut self, id: JobId, run_at: Millis, error: &str, now: Millis) -> Result<()> {
        let q = "UPDATE jobs SET status = 'queued', run_at = $2, lease_until = NULL, last_error = $3, updated_at = $4 WHERE id = $1";
        run!(self, |c| sqlx::query(q)
            .bind(id.0)
            .bind(run_at)
            .bind(error)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Gives up on a job: it stays in the table, dead, with its last error.
    pub async fn kill_job(&mut self, id: JobId, error: &str, now: Millis) -> Result<()> {
        let q = "UPDATE jobs SET status = 'dead', lease_until = NULL, last_error = $2, updated_at = $3 WHERE id = $1";
        run!(self, |c| sqlx::query(q).bind(id.0).bind(error).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A job by id.
    pub async fn get_job(&mut self, id: JobId) -> Result<Option<Job>> {
        let q = "SELECT id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, last_error FROM jobs WHERE id = $1";
        let row: Option<JobRow> = run!(self, |c| sqlx::query_as(q).bind(id.0).fetch_optional(c).await)?;
        row.map(Job::try_from).transpose()
    }

    /// A workspace's jobs in one status, newest first (dead letters for admins to inspect).
    pub async fn jobs_with_status(&mut self, ws: WorkspaceId, status: JobStatus, limit: usize) -> Result<Vec<Job>> {
        let q = "SELECT id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, last_error FROM jobs \
                 WHERE workspace_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT $3";
        let rows: Vec<JobRow> =
            run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(status.as_str()).bind(limit as i64).fetch_all(c).await)?;
        crate::rows::collect(rows, Job::try_from)
    }
}
