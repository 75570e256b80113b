//! Small pieces of presentation shared by the pages: times for people ("12m", a UTC stamp
//! that the browser turns into local time) and the names behind ids. Nothing here decides
//! what a page shows; it only says how.

use crate::Shared;
use app::Actor;
use domain::{ChannelKind, Inbox, InboxId, Membership, Millis, UserId};

/// How long ago (or how long for) in the largest sensible unit: `now`, `5m`, `3h`, `2d`.
pub fn span(ms: Millis) -> String {
    let s = (ms / 1000).max(0);
    match s {
        0..60 => "<1m".into(),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// An instant as `2026-11-23T14:05:09Z` (for `<time datetime>`).
pub fn iso(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rest / 3_600, rest % 3_600 / 60, rest % 60)
}

/// An instant as `2026-11-23 14:05 UTC`, shown until the browser localises it.
pub fn stamp(ms: Millis) -> String {
    let iso = iso(ms);
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

/// A browser's local `YYYY-MM-DDTHH:MM` (a `datetime-local` input) as an instant, given the
/// browser's `Date.getTimezoneOffset()` (minutes to add to local time to get UTC).
pub fn parse_local_time(s: &str, offset_minutes: i64) -> Option<Millis> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min) = (t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || !(0..24).contains(&h) || !(0..60).contains(&min) {
        return None;
    }
    if !(-14 * 60..=14 * 60).contains(&offset_minutes) {
        return None;
    }
    let days = days_from_civil(y, m, day);
    if civil_from_days(days) != (y, m as u32, day as u32) {
        return None; // 31 February and the like
    }
    Some(((days * 86_400 + h * 3_600 + min * 60) + offset_minutes * 60) * 1000)
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Reads a typed id from a path segment: a malformed id is a missing page, not a failure.
pub fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, super::UiError> {
    raw.parse().map_err(|_| {
        super::UiError::new(
            axum::http::StatusCode::NOT_FOUND,
            format!("This {what} does not exist, or is not in your workspace."),
        )
    })
}

/// Names for the ids a page shows: teammates and inboxes of the workspace.
pub struct Directory {
    /// The workspace's members, active or not (old messages keep their author's name).
    pub members: Vec<Membership>,
    /// The workspace's inboxes.
    pub inboxes: Vec<Inbox>,
}

impl Directory {
    /// Loads the directory of the actor's workspace.
    pub async fn load(state: &Shared, actor: &Actor) -> Result<Directory, app::Error> {
        Ok(Directory { members: state.app.list_members(actor).await?, inboxes: state.app.list_inboxes(actor).await? })
    }

    /// A teammate's name.
    pub fn user_name(&self, id: UserId) -> String {
        self.members
            .iter()
            .find(|m| m.user.id == id)
            .map(|m| m.user.name.clone())
            .unwrap_or_else(|| "a former teammate".into())
    }

    /// An inbox's name and channel.
    pub fn inbox(&self, id: InboxId) -> (String, ChannelKind) {
        self.inboxes
            .iter()
            .find(|i| i.id == id)
            .map(|i| (i.name.clone(), i.kind))
            .unwrap_or_else(|| ("a removed inbox".into(), ChannelKind::Api))
    }

    /// Active teammates, by name.
    pub fn active_members(&self) -> Vec<&Membership> {
        let mut out: Vec<&Membership> = self.members.iter().filter(|m| m.active).collect();
        out.sort_by_cached_key(|m| m.user.name.to_lowercase());
        out
    }
}

/// An SLA badge: what is due and how it stands ("First response in 12m", "Resolution
/// overdue 5m", "Next response paused, 20m left"), with the state for its colour.
pub struct SlaBadge {
    /// The words.
    pub text: String,
    /// `running`, `warning`, `paused` or `breached`.
    pub state: String,
}

/// The badge of a conversation's most urgent SLA clock, if one still counts or was missed.
pub fn sla_badge(sla: &app::ConversationSla) -> Option<SlaBadge> {
    let v = sla.most_urgent()?;
    let what = match v.kind {
        domain::SlaKind::FirstResponse => "First response",
        domain::SlaKind::NextResponse => "Next response",
        domain::SlaKind::Resolution => "Resolution",
    };
    let left = v.clock.time_left;
    let text = match v.clock.state {
        domain::SlaState::Breached => format!("{what} overdue {}", span(-left)),
        domain::SlaState::Paused => format!("{what} paused, {} left", span(left)),
        _ => format!("{what} in {}", span(left)),
    };
    Some(SlaBadge { text, state: v.clock.state.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_well() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_795_446_309_000), "2026-11-23T15:05:09Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(parse_local_time("2026-11-23T16:05", -60), Some(1_795_446_300_000));
        assert_eq!(parse_local_time("2026-02-31T10:00", 0), None);
        assert_eq!(parse_local_time("soon", 0), None);
        assert_eq!(stamp(-60_000), "1969-12-31 23:59 UTC");
        assert_eq!(stamp(1_795_446_309_000), "2026-11-23 15:05 UTC");
        assert_eq!(
            (span(59_000), span(61_000), span(7_200_000), span(200_000_000)),
            ("<1m".into(), "1m".into(), "2h".into(), "2d".into())
        );
    }
}
