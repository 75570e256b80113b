//! Business hours: when a team works, in its own time zone, so SLA clocks count only working
//! time ("first response within 4 business hours").
//!
//! Open intervals are local wall time. Each is turned into real instants on its day, so a
//! 09:00–17:00 day is eight hours even when the clocks change that night, while an interval
//! that spans the skipped or repeated hour counts the time that really passed (00:00–24:00 is
//! 23 hours in spring and 25 in autumn). A wall time inside a skipped hour stands for the
//! moment the clocks jumped; a repeated one for its first occurrence. No clock is read here.

use crate::{DomainError, Millis};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::ops::ControlFlow;

const MINUTES_PER_DAY: u16 = 24 * 60;
const DAY: i64 = 86_400_000;
/// How far ahead due times and opening times are looked for: ten years.
const HORIZON_DAYS: i64 = 3_660;
/// Working time is counted over at most a hundred years (bounds the work for absurd input).
const MAX_COUNT_DAYS: i64 = 36_600;
/// Limits that keep a calendar small enough to check on every clock computation.
const MAX_INTERVALS_PER_DAY: usize = 12;
const MAX_HOLIDAYS: usize = 1_000;

/// One open stretch of a day in local wall time, written `"09:00-17:00"`; the end may be
/// `"24:00"` (midnight at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OpenInterval {
    start: u16,
    end: u16,
}

impl OpenInterval {
    /// From `start` to `end` minutes after midnight; needs `start < end <= 1440`.
    pub fn new(start_minute: u16, end_minute: u16) -> Result<Self, DomainError> {
        if start_minute < end_minute && end_minute <= MINUTES_PER_DAY {
            Ok(OpenInterval { start: start_minute, end: end_minute })
        } else {
            Err(DomainError::invalid("interval", "must start before it ends, within one day (00:00 to 24:00)"))
        }
    }

    /// The whole day, 00:00–24:00.
    pub fn all_day() -> Self {
        OpenInterval { start: 0, end: MINUTES_PER_DAY }
    }

    /// Minutes after midnight it opens.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// Minutes after midnight it closes (1440 at midnight).
    pub fn end_minute(self) -> u16 {
        self.end
    }
}

fn parse_hh_mm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

impl std::str::FromStr for OpenInterval {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::invalid("interval", format!("{s:?} is not an interval like \"09:00-17:00\""));
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let (a, b) = (parse_hh_mm(a).ok_or_else(bad)?, parse_hh_mm(b).ok_or_else(bad)?);
        OpenInterval::new(a, b)
    }
}

impl TryFrom<String> for OpenInterval {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        s.parse()
    }
}

impl From<OpenInterval> for String {
    fn from(i: OpenInterval) -> String {
        i.to_string()
    }
}

impl fmt::Display for OpenInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, e) = (self.start, self.end);
        write!(f, "{:02}:{:02}-{:02}:{:02}", s / 60, s % 60, e / 60, e % 60)
    }
}

/// The open intervals of each day of the week. A day without intervals is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeekSchedule {
    /// Monday.
    pub mon: Vec<OpenInterval>,
    /// Tuesday.
    pub tue: Vec<OpenInterval>,
    /// Wednesday.
    pub wed: Vec<OpenInterval>,
    /// Thursday.
    pub thu: Vec<OpenInterval>,
    /// Friday.
    pub fri: Vec<OpenInterval>,
    /// Saturday.
    pub sat: Vec<OpenInterval>,
    /// Sunday.
    pub sun: Vec<OpenInterval>,
}

impl WeekSchedule {
    /// The same interval Monday to Friday, weekends closed.
    pub fn weekdays(open: OpenInterval) -> Self {
        let v = vec![open];
        WeekSchedule { mon: v.clone(), tue: v.clone(), wed: v.clone(), thu: v.clone(), fri: v, ..Default::default() }
    }

    /// The same interval every day of the week.
    pub fn every_day(open: OpenInterval) -> Self {
        WeekSchedule { sat: vec![open], sun: vec![open], ..WeekSchedule::weekdays(open) }
    }

    fn days_mut(&mut self) -> [(&'static str, &mut Vec<OpenInterval>); 7] {
        [
            ("mon", &mut self.mon),
            ("tue", &mut self.tue),
            ("wed", &mut self.wed),
            ("thu", &mut self.thu),
            ("fri", &mut self.fri),
            ("sat", &mut self.sat),
            ("sun", &mut self.sun),
        ]
    }

    fn day(&self, weekday: Weekday) -> &[OpenInterval] {
        match weekday {
            Weekday::Monday => &self.mon,
            Weekday::Tuesday => &self.tue,
            Weekday::Wednesday => &self.wed,
            Weekday::Thursday => &self.thu,
            Weekday::Friday => &self.fri,
            Weekday::Saturday => &self.sat,
            Weekday::Sunday => &self.sun,
        }
    }

    /// Sorts each day and checks its intervals do not overlap (touching is fine) and that the
    /// week has some open time.
    fn validate(&mut self) -> Result<(), DomainError> {
        let mut any = false;
        for (name, day) in self.days_mut() {
            if day.len() > MAX_INTERVALS_PER_DAY {
                return Err(DomainError::invalid(
                    format!("week.{name}"),
                    format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"),
                ));
            }
            day.sort();
            if let Some(w) = day.windows(2).find(|w| w[0].end > w[1].start) {
                return Err(DomainError::invalid(format!("week.{name}"), format!("{} overlaps {}", w[0], w[1])));
            }
            any |= !day.is_empty();
        }
        if any { Ok(()) } else { Err(DomainError::invalid("week", "must be open at some time of the week")) }
    }
}

/// The wire form of [`BusinessHours`]: `{"kind": "always"}` or
/// `{"kind": "weekly", "time_zone": "Europe/Tallinn", "week": {"mon": ["09:00-17:00"], ...},
/// "holidays": ["2026-12-24"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
// A short-lived wire value: boxing the schedule would only make it clumsier to build.
#[allow(clippy::large_enum_variant)]
pub enum BusinessHoursSpec {
    /// Open around the clock, every day. (Braced so that serde refuses unknown fields.)
    Always {},
    /// Open at set hours of each weekday, closed on holidays.
    Weekly {
        /// An IANA time zone name ("Europe/Tallinn").
        time_zone: String,
        /// When the team works.
        week: WeekSchedule,
        /// Local dates (`YYYY-MM-DD`) the team is off.
        #[serde(default)]
        holidays: Vec<String>,
    },
}

/// When a team works: 24/7 (the default), or a weekly schedule in a time zone with holidays.
/// Always valid: it can only be made through [`BusinessHours::weekly`] or from a
/// [`BusinessHoursSpec`] that passes its checks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "BusinessHoursSpec", into = "BusinessHoursSpec")]
pub struct BusinessHours(Repr);

#[derive(Debug, Clone, Default)]
enum Repr {
    #[default]
    Always,
    Weekly(Box<Weekly>),
}

#[derive(Debug, Clone)]
struct Weekly {
    zone_name: String,
    tz: TimeZone,
    week: WeekSchedule,
    holidays: BTreeSet<Date>,
}

impl PartialEq for BusinessHours {
    fn eq(&self, other: &Self) -> bool {
        self.spec() == other.spec()
    }
}

impl TryFrom<BusinessHoursSpec> for BusinessHours {
    type Error = DomainError;
    fn try_from(spec: BusinessHoursSpec) -> Result<Self, DomainError> {
        match spec {
            BusinessHoursSpec::Always {} => Ok(BusinessHours::always()),
            BusinessHoursSpec::Weekly { time_zone, week, holidays } => {
                BusinessHours::weekly(&time_zone, week, &holidays)
            }
        }
    }
}

impl From<BusinessHours> for BusinessHoursSpec {
    fn from(b: BusinessHours) -> Self {
        b.spec()
    }
}

impl BusinessHours {
    /// Open around the clock.
    pub fn always() -> Self {
        BusinessHours(Repr::Always)
    }

    /// A weekly schedule in `time_zone` (IANA name), closed on `holidays` (`YYYY-MM-DD`).
    pub fn weekly(time_zone: &str, mut week: WeekSchedule, holidays: &[impl AsRef<str>]) -> Result<Self, DomainError> {
        let zone_name = time_zone.trim();
        let tz = TimeZone::get(zone_name)
            .ok()
            .filter(|_| !zone_name.is_empty() && zone_name.len() <= 64)
            .ok_or_else(|| DomainError::invalid("time_zone", format!("{zone_name:?} is not a known time zone")))?;
        week.validate()?;
        if holidays.len() > MAX_HOLIDAYS {
            return Err(DomainError::invalid("holidays", format!("at most {MAX_HOLIDAYS} holidays")));
        }
        let holidays = holidays
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = h.as_ref().trim();
                parse_date(h).ok_or_else(|| {
                    DomainError::invalid(format!("holidays[{i}]"), format!("{h:?} is not a date like 2026-12-24"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(BusinessHours(Repr::Weekly(Box::new(Weekly { zone_name: zone_name.to_string(), tz, week, holidays }))))
    }

    /// Its wire form.
    pub fn spec(&self) -> BusinessHoursSpec {
        match &self.0 {
            Repr::Always => BusinessHoursSpec::Always {},
            Repr::Weekly(w) => BusinessHoursSpec::Weekly {
                time_zone: w.zone_name.clone(),
                week: w.week.clone(),
                holidays: w.holidays.iter().map(|d| d.to_string()).collect(),
            },
        }
    }

    /// The time zone, unless it is open around the clock.
    pub fn time_zone(&self) -> Option<&str> {
        match &self.0 {
            Repr::Always => None,
            Repr::Weekly(w) => Some(&w.zone_name),
        }
    }
}

/// A strict `YYYY-MM-DD` local date.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    if shape { s.parse().ok() } else { None }
}

fn timestamp(ms: Millis) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 { Timestamp::MIN } else { Timestamp::MAX })
}

impl Weekly {
    /// The instant a local wall time on `day` stands for (see the module docs for skipped
    /// and repeated hours). `None` only at the ends of the representable range.
    fn instant(&self, day: Date, minute: u16) -> Option<Millis> {
        let dt = if minute >= MINUTES_PER_DAY {
            day.tomorrow().ok()?.at(0, 0, 0, 0)
        } else {
            day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
        };
        let ts = match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok()?,
            // In a skipped hour: the moment the clocks jumped, which is the first transition
            // after the earliest reading of this wall time.
            AmbiguousOffset::Gap { after, .. } => {
                let early = after.to_timestamp(dt).ok()?;
                self.tz.following(early).next().map_or(early, |t| t.timestamp())
            }
            AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok()?,
        };
        Some(ts.as_millisecond())
    }

    /// Calls `f` with each open span `[start, end)` in milliseconds, in time order, from the
    /// day before `from`'s local date for at most `days` days. Holidays have no spans.
    fn for_each_span(&self, from: Millis, days: i64, mut f: impl FnMut(Millis, Millis) -> ControlFlow<()>) {
        let Ok(mut day) = self.tz.to_datetime(timestamp(from)).date().yesterday() else { return };
        for _ in 0..days {
            if !self.holidays.contains(&day) {
                for iv in self.week.day(day.weekday()) {
                    let (Some(a), Some(b)) = (self.instant(day, iv.start), self.instant(day, iv.end)) else {
                        continue;
                    };
                    if a < b && f(a, b).is_break() {
                        return;
                    }
                }
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => return,
            }
        }
    }
}

/// Working time between two instants in milliseconds; 0 when `to <= from`. Spans longer
/// than a hundred years are counted for their first hundred.
pub fn business_millis_between(cal: &BusinessHours, from: Millis, to: Millis) -> i64 {
    if to <= from {
        return 0;
    }
    let w = match &cal.0 {
        Repr::Always => return to.saturating_sub(from),
        Repr::Weekly(w) => w,
    };
    // Local dates can be one more apart than whole days of elapsed time (23:59 to 00:01),
    // and a DST change may add another; the scan also starts the day before. The loop stops
    // at `to`, so a margin costs nothing.
    let days = ((to.saturating_sub(from)) / DAY).saturating_add(5).min(MAX_COUNT_DAYS);
    let mut total = 0i64;
    w.for_each_span(from, days, |a, b| {
        if a >= to {
            return ControlFlow::Break(());
        }
        let (lo, hi) = (a.max(from), b.min(to));
        if hi > lo {
            total = total.saturating_add(hi - lo);
        }
        ControlFlow::Continue(())
    });
    total
}

/// The instant at which `amount` milliseconds of working time have passed since `from`: the
/// due time. `from` itself when `amount <= 0`; [`Millis::MAX`] when that lies more than ten
/// years ahead.
pub fn add_business_millis(cal: &BusinessHours, from: Millis, amount: i64) -> Millis {
    if amount <= 0 {
        return from;
    }
    let w = match &cal.0 {
        Repr::Always => return from.saturating_add(amount),
        Repr::Weekly(w) => w,
    };
    let mut left = amount;
    let mut due = Millis::MAX;
    w.for_each_span(from, HORIZON_DAYS, |a, b| {
        let lo = a.max(from);
        if b > lo {
            if b - lo >= left {
                due = lo + left;
                return ControlFlow::Break(());
            }
            left -= b - lo;
        }
        ControlFlow::Continue(())
    });
    due
}

/// Whether the team is working at `at`.
pub fn is_open(cal: &BusinessHours, at: Millis) -> bool {
    let w = match &cal.0 {
        Repr::Always => return true,
        Repr::Weekly(w) => w,
    };
    let mut open = false;
    w.for_each_span(at, 3, |a, b| {
        if a > at {
            return ControlFlow::Break(());
        }
        open |= at < b;
        ControlFlow::Continue(())
    });
    open
}

/// The first instant at or after `at` when the team is working ("we are back at …"): `at`
/// itself when open; `None` when not within ten years.
pub fn next_open(cal: &BusinessHours, at: Millis) -> Option<Millis> {
    let w = match &cal.0 {
        Repr::Always => return Some(at),
        Repr::Weekly(w) => w,
    };
    let mut found = None;
    w.for_each_span(at, HORIZON_DAYS, |a, b| {
        if b > at {
            found = Some(a.max(at));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

#[cfg(test)]
mod tests;
