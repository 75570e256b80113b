//! The queue of waiting (unassigned) conversations: its order, a customer's place in it and an
//! honest estimate of the wait.
//!
//! The estimate is only given when there is enough recent history to back it
//! ([`MIN_SAMPLES`]); a customer told "about 5 minutes" who waits forty stops trusting every
//! later message. No I/O: the app passes the waiting conversations and recent handle times.

use crate::{ConversationId, Millis, Priority};
use std::cmp::Ordering;
use std::fmt;

/// Fewer recent handle times than this and no wait estimate is given.
pub const MIN_SAMPLES: usize = 10;

const MINUTE: i64 = 60_000;

/// A conversation waiting for an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// The conversation.
    pub id: ConversationId,
    /// How urgent it is.
    pub priority: Priority,
    /// Since when the customer has been waiting (the creation time if not recorded).
    pub waiting_since: Millis,
}

/// Queue order: higher priority first (urgent, high, medium, low, none), then whoever has
/// waited longest, then the conversation id so the order is total and stable.
pub fn queue_order(a: &Waiting, b: &Waiting) -> Ordering {
    b.priority.rank().cmp(&a.priority.rank()).then(a.waiting_since.cmp(&b.waiting_since)).then(a.id.cmp(&b.id))
}

/// Sorts waiting conversations into queue order.
pub fn sort_queue(queue: &mut [Waiting]) {
    // The order is total (ids are unique), so an unstable sort gives the same result.
    queue.sort_unstable_by(queue_order);
}

/// The 1-based place of `id` in the queue (the number of people ahead is one less), or
/// `None` when it is not waiting. Linear in the queue's length; `queue` need not be sorted.
pub fn position_of(queue: &[Waiting], id: ConversationId) -> Option<usize> {
    let me = queue.iter().find(|w| w.id == id)?;
    Some(1 + queue.iter().filter(|w| queue_order(w, me) == Ordering::Less).count())
}

/// An estimated wait, in whole minutes (as milliseconds), `low <= high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WaitRange {
    /// The optimistic end.
    pub low: Millis,
    /// The pessimistic end.
    pub high: Millis,
}

/// Estimates how long a customer with `ahead` people before them will wait.
///
/// With `n = agents_online`, the typical (median) and slow (80th-percentile) handle times of
/// recent conversations `p50` and `p80`:
///
/// ```text
/// low  = p50 × (ahead + 1) / n
/// high = p80 × (ahead + 1) / n
/// ```
///
/// each rounded to the nearest whole minute: the customer is served once the `ahead` before
/// them and their own turn have gone through `n` agents. Percentiles are nearest-rank over
/// the non-negative samples. `None` with fewer than [`MIN_SAMPLES`] samples or nobody online.
pub fn estimate_wait(ahead: usize, recent_handle_times: &[Millis], agents_online: usize) -> Option<WaitRange> {
    if agents_online == 0 {
        return None;
    }
    let mut samples: Vec<Millis> = recent_handle_times.iter().copied().filter(|t| *t >= 0).collect();
    if samples.len() < MIN_SAMPLES {
        return None;
    }
    samples.sort_unstable();
    let turns = ahead as i128 + 1;
    let scale = |p: Millis| -> Millis {
        let raw = i128::from(p).saturating_mul(turns) / agents_online as i128;
        let minutes = raw.saturating_add(i128::from(MINUTE) / 2) / i128::from(MINUTE);
        Millis::try_from(minutes * i128::from(MINUTE)).unwrap_or(Millis::MAX)
    };
    let low = scale(percentile(&samples, 50));
    let high = scale(percentile(&samples, 80)).max(low);
    Some(WaitRange { low, high })
}

/// The nearest-rank percentile of sorted, non-empty `samples`.
fn percentile(samples: &[Millis], pct: usize) -> Millis {
    let rank = (samples.len() * pct).div_ceil(100).max(1);
    samples.get(rank - 1).copied().unwrap_or_default()
}

impl fmt::Display for WaitRange {
    /// "under a minute", "about 1 minute", "up to 3 minutes", "about 5–10 minutes",
    /// "about 2–3 hours".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (low, high) = (self.low / MINUTE, self.high / MINUTE);
        if high < 1 {
            f.write_str("under a minute")
        } else if low >= 120 {
            let (lh, hh) = (low / 60, (high + 59) / 60);
            if lh == hh { write!(f, "about {lh} hours") } else { write!(f, "about {lh}–{hh} hours") }
        } else if low == high {
            write!(f, "about {low} minute{}", if low == 1 { "" } else { "s" })
        } else if low == 0 {
            write!(f, "up to {high} minute{}", if high == 1 { "" } else { "s" })
        } else {
            write!(f, "about {low}–{high} minutes")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn w(n: u128, priority: Priority, waiting_since: Millis) -> Waiting {
        Waiting { id: ConversationId(Uuid::from_u128(n)), priority, waiting_since }
    }

    fn ids(q: &[Waiting]) -> Vec<u128> {
        q.iter().map(|w| w.id.0.as_u128()).collect()
    }

    #[test]
    fn queue_orders_by_priority_then_arrival_then_id() {
        let mut q = vec![
            w(1, Priority::None, 10),
            w(2, Priority::Low, 50),
            w(3, Priority::Urgent, 90),
            w(4, Priority::High, 20),
            w(5, Priority::Medium, 5),
            w(6, Priority::High, 10),
            w(8, Priority::Urgent, 90),
            w(7, Priority::Urgent, 90),
        ];
        sort_queue(&mut q);
        assert_eq!(ids(&q), [3, 7, 8, 6, 4, 5, 2, 1]);
    }

    #[test]
    fn positions_count_who_is_ahead() {
        let q = [w(1, Priority::None, 10), w(2, Priority::High, 30), w(3, Priority::None, 5), w(4, Priority::High, 20)];
        let pos = |n| position_of(&q, ConversationId(Uuid::from_u128(n)));
        // Order: 4 (high, 20), 2 (high, 30), 3 (none, 5), 1 (none, 10).
        assert_eq!([pos(4), pos(2), pos(3), pos(1)], [Some(1), Some(2), Some(3), Some(4)]);
        assert_eq!(pos(9), None);
        let mut sorted = q;
        sort_queue(&mut sorted);
        for (i, item) in sorted.iter().enumerate() {
            assert_eq!(position_of(&q, item.id), Some(i + 1));
        }
    }

    #[test]
    fn no_estimate_below_ten_samples_or_without_agents() {
        let nine = [5 * MINUTE; 9];
        assert_eq!(estimate_wait(0, &nine, 3), None);
        let ten = [5 * MINUTE; 10];
        assert_eq!(estimate_wait(0, &ten, 0), None);
        assert!(estimate_wait(0, &ten, 1).is_some());
        // A negative handle time (clock skew) is not a sample.
        let mut skewed = [5 * MINUTE; 10];
        skewed[0] = -1;
        assert_eq!(estimate_wait(0, &skewed, 1), None);
    }

    #[test]
    fn estimate_uses_the_median_and_80th_percentile() {
        // 1 to 10 minutes: median (5th of 10) is 5, the 80th percentile (8th) is 8.
        let samples: Vec<Millis> = (1..=10).rev().map(|m| m * MINUTE).collect();
        // Three ahead, two agents: 5 × 4 / 2 = 10 and 8 × 4 / 2 = 16 minutes.
        let r = estimate_wait(3, &samples, 2).unwrap();
        assert_eq!(r, WaitRange { low: 10 * MINUTE, high: 16 * MINUTE });
        assert_eq!(r.to_string(), "about 10–16 minutes");
        // Nobody ahead, ten agents: 30 s and 48 s round to 1 minute each.
        let r = estimate_wait(0, &samples, 10).unwrap();
        assert_eq!(r, WaitRange { low: MINUTE, high: MINUTE });
        assert_eq!(r.to_string(), "about 1 minute");
        // 20 agents: 15 s → 0 and 24 s → 0.
        assert_eq!(estimate_wait(0, &samples, 20).unwrap().to_string(), "under a minute");
    }

    #[test]
    fn ranges_read_naturally() {
        let r = |l: i64, h: i64| WaitRange { low: l * MINUTE, high: h * MINUTE }.to_string();
        assert_eq!(r(0, 0), "under a minute");
        assert_eq!(r(0, 3), "up to 3 minutes");
        assert_eq!(r(5, 10), "about 5–10 minutes");
        assert_eq!(r(7, 7), "about 7 minutes");
        assert_eq!(r(130, 170), "about 2–3 hours");
        assert_eq!(r(180, 180), "about 3 hours");
    }

    #[test]
    fn estimate_never_overflows() {
        let samples = [i64::MAX; 10];
        let r = estimate_wait(usize::MAX, &samples, 1).unwrap();
        assert_eq!((r.low, r.high), (Millis::MAX, Millis::MAX));
    }
}
