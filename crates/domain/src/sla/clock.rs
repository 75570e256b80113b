//! The SLA clock: where one promise stands at `now`, worked out from the conversation's
//! timeline (when the clock started, when it stopped, when it was paused) and the calendar.
//!
//! A pure value: recompute it whenever the timeline changes. It also says when the next
//! warning or breach falls, so a scheduler can set one timer instead of polling.
//!
//! Edge convention: the target is missed once the elapsed working time *reaches* it, so the
//! breach timer fires exactly at `due_at`, and a reply at `due_at` is a breach.

use super::calendar::{BusinessHours, add_business_millis, business_millis_between};
use crate::{Millis, text_enum};
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where a clock stands.
    SlaState, "sla state" {
        /// Counting, with time to spare.
        Running => "running",
        /// Stopped while the conversation waits on the customer.
        Paused => "paused",
        /// Stopped in time.
        Met => "met",
        /// Counting, past the warning share of the target.
        Warning => "warning",
        /// The target was missed.
        Breached => "breached",
    }
);

text_enum!(
    /// What a scheduler's timer is for.
    SlaEvent, "sla event" {
        /// The warning share of the target has passed.
        Warning => "warning",
        /// The target has been missed.
        Breach => "breach",
    }
);

/// A stretch during which the clock does not count (the conversation was pending on the
/// customer). `until: None` means it is still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPause {
    /// When the pause began.
    pub from: Millis,
    /// When it ended.
    pub until: Option<Millis>,
}

/// What the clock is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTimeline<'a> {
    /// When the clock started (the customer's message, or the conversation's opening).
    pub started_at: Millis,
    /// When the promise was kept (the reply, or the resolution), if it has been.
    pub stopped_at: Option<Millis>,
    /// The pauses, in any order; they may overlap.
    pub pauses: &'a [SlaPause],
}

/// Where one SLA promise stands at a given moment. Durations are working time in
/// milliseconds; instants are epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    /// The target.
    pub target: i64,
    /// Working time counted so far (up to the stop, if stopped), pauses excluded.
    pub elapsed_business: i64,
    /// `target - elapsed_business`: negative once breached.
    pub time_left: i64,
    /// Where it stands.
    pub state: SlaState,
    /// When the target is (or was) reached. `None` while paused or after being met before it;
    /// [`Millis::MAX`] when further than ten years away.
    pub due_at: Option<Millis>,
    /// When to warn, while running and not yet warned.
    pub warning_at: Option<Millis>,
    /// When it will breach, while running or warning.
    pub breach_at: Option<Millis>,
}

impl SlaClock {
    /// Computes the clock for a target of `target_minutes` working minutes, warning after
    /// `warn_at` of it (a fraction; out-of-range values are clamped to 0..=1).
    pub fn compute(
        target_minutes: i64,
        warn_at: f64,
        calendar: &BusinessHours,
        timeline: &SlaTimeline<'_>,
        now: Millis,
    ) -> SlaClock {
        let target = target_minutes.max(0).saturating_mul(60_000);
        let share = if warn_at.is_finite() { warn_at.clamp(0.0, 1.0) } else { 1.0 };
        let warn_target = ((target as f64 * share).ceil() as i64).min(target);

        let stopped = timeline.stopped_at.is_some_and(|s| s <= now);
        let end = timeline.stopped_at.filter(|_| stopped).unwrap_or(now).max(timeline.started_at);
        let paused_now = !stopped && timeline.pauses.iter().any(|p| p.from <= now && p.until.is_none_or(|u| u > now));

        // Walk the counting stretches, noting when the warning and the target were reached.
        let mut elapsed = 0i64;
        let (mut warned, mut due) = (None, None);
        let mut note = |s: Millis, e: Millis, elapsed: &mut i64| {
            let b = business_millis_between(calendar, s, e);
            if warned.is_none() && *elapsed + b >= warn_target {
                warned = Some(add_business_millis(calendar, s, warn_target - *elapsed));
            }
            if due.is_none() && *elapsed + b >= target {
                due = Some(add_business_millis(calendar, s, target - *elapsed));
            }
            *elapsed += b;
        };
        let mut cursor = timeline.started_at;
        for (from, until) in merged_pauses(timeline.pauses, timeline.started_at, end) {
            note(cursor, from, &mut elapsed);
            cursor = until;
        }
        note(cursor, end, &mut elapsed);
        let running = !stopped && !paused_now;
        if running {
            // The last stretch goes on: project the instants still ahead.
            warned = warned.or_else(|| Some(add_business_millis(calendar, end, warn_target - elapsed)));
            due = due.or_else(|| Some(add_business_millis(calendar, end, target - elapsed)));
        }

        let state = if elapsed >= target {
            SlaState::Breached
        } else if stopped {
            SlaState::Met
        } else if paused_now {
            SlaState::Paused
        } else if elapsed >= warn_target {
            SlaState::Warning
        } else {
            SlaState::Running
        };
        SlaClock {
            target,
            elapsed_business: elapsed,
            time_left: target - elapsed,
            state,
            due_at: due,
            warning_at: warned.filter(|_| state == SlaState::Running),
            breach_at: due.filter(|_| matches!(state, SlaState::Running | SlaState::Warning)),
        }
    }

    /// The next event a scheduler should wake up for, if any.
    pub fn next_event(&self) -> Option<(SlaEvent, Millis)> {
        match (self.warning_at, self.breach_at) {
            (Some(w), _) => Some((SlaEvent::Warning, w)),
            (None, Some(b)) => Some((SlaEvent::Breach, b)),
            (None, None) => None,
        }
    }
}

/// The pauses clipped to `[start, end]`, sorted and merged, as `(from, until)` pairs.
fn merged_pauses(pauses: &[SlaPause], start: Millis, end: Millis) -> Vec<(Millis, Millis)> {
    let mut clipped: Vec<(Millis, Millis)> = pauses
        .iter()
        .map(|p| (p.from.max(start), p.until.unwrap_or(Millis::MAX).min(end)))
        .filter(|(f, u)| f < u)
        .collect();
    clipped.sort_unstable();
    let mut merged: Vec<(Millis, Millis)> = Vec::with_capacity(clipped.len());
    for (f, u) in clipped {
        match merged.last_mut() {
            Some(last) if f <= last.1 => last.1 = last.1.max(u),
            _ => merged.push((f, u)),
        }
    }
    merged
}

#[cfg(test)]
mod tests;
