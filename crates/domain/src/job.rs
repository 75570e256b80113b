//! Durable background jobs and their retry schedule.

use crate::{JobId, Millis, WorkspaceId, text_enum};
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where a job stands.
    JobStatus, "job status" {
        /// Waiting for its run time.
        Queued => "queued",
        /// Claimed by a worker until its lease ends.
        Running => "running",
        /// Finished.
        Done => "done",
        /// Failed on every attempt; kept with its last error for people to look at.
        Dead => "dead",
    }
);

/// A durable job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// What to do (`deliver`, ...).
    pub kind: String,
    /// Its arguments.
    pub payload: serde_json::Value,
    /// Where it stands.
    pub status: JobStatus,
    /// When it may run next.
    pub run_at: Millis,
    /// Attempts made so far, counting the one in progress.
    pub attempts: i32,
    /// Attempts allowed before it goes dead.
    pub max_attempts: i32,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
}

impl Job {
    /// A job of `kind` queued to run at `run_at`, allowed `max_attempts` tries.
    pub fn new(
        workspace_id: WorkspaceId,
        kind: &str,
        payload: serde_json::Value,
        run_at: Millis,
        max_attempts: i32,
    ) -> Job {
        Job {
            id: JobId::new(),
            workspace_id,
            kind: kind.to_string(),
            payload,
            status: JobStatus::Queued,
            run_at,
            attempts: 0,
            max_attempts,
            last_error: None,
        }
    }
}

/// Exponential backoff between attempts: `base * 2^(attempt-1)`, at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay after the first failure, in ms.
    pub base_ms: i64,
    /// The longest delay, in ms.
    pub max_ms: i64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base_ms: 5_000, max_ms: 3_600_000 }
    }
}

impl Backoff {
    /// How long to wait after failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: i32) -> Millis {
        let exp = (attempt.max(1) - 1).min(30) as u32;
        self.base_ms.saturating_mul(1_i64 << exp).min(self.max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let b = Backoff { base_ms: 100, max_ms: 1_000 };
        assert_eq!([1, 2, 3, 4, 5, 40].map(|a| b.delay(a)), [100, 200, 400, 800, 1_000, 1_000]);
    }
}
