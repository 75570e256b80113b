//! SLA clock tests; expected instants worked out by hand (Tallinn: EET +2 until 29 March
//! 2026 03:00, EEST +3 after).
//! Test code: a failed `unwrap` here is a failed test, as intended.

use super::*;
use crate::sla::calendar::{OpenInterval, WeekSchedule};
use jiff::Timestamp;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

fn utc(s: &str) -> Millis {
    s.parse::<Timestamp>().unwrap().as_millisecond()
}

fn clock(
    target_min: i64,
    cal: &BusinessHours,
    started: Millis,
    stopped: Option<Millis>,
    pauses: &[SlaPause],
    now: Millis,
) -> SlaClock {
    SlaClock::compute(target_min, 0.75, cal, &SlaTimeline { started_at: started, stopped_at: stopped, pauses }, now)
}

fn pause(from: Millis, until: Option<Millis>) -> SlaPause {
    SlaPause { from, until }
}

fn tallinn_office() -> BusinessHours {
    let nine_to_five = "09:00-17:00".parse::<OpenInterval>().unwrap();
    BusinessHours::weekly("Europe/Tallinn", WeekSchedule::weekdays(nine_to_five), &["2026-12-24"]).unwrap()
}

#[test]
fn a_running_clock_warns_then_breaches() {
    let always = BusinessHours::always();
    let c = clock(60, &always, 0, None, &[], 30 * MIN);
    assert_eq!((c.state, c.elapsed_business, c.time_left), (SlaState::Running, 30 * MIN, 30 * MIN));
    assert_eq!((c.warning_at, c.breach_at, c.due_at), (Some(45 * MIN), Some(60 * MIN), Some(60 * MIN)));
    assert_eq!(c.next_event(), Some((SlaEvent::Warning, 45 * MIN)));

    let c = clock(60, &always, 0, None, &[], 45 * MIN);
    assert_eq!((c.state, c.warning_at, c.breach_at), (SlaState::Warning, None, Some(60 * MIN)));
    assert_eq!(c.next_event(), Some((SlaEvent::Breach, 60 * MIN)));

    let c = clock(60, &always, 0, None, &[], 60 * MIN);
    assert_eq!((c.state, c.time_left, c.breach_at), (SlaState::Breached, 0, None));

    let c = clock(60, &always, 0, None, &[], 90 * MIN);
    assert_eq!((c.state, c.time_left, c.due_at), (SlaState::Breached, -30 * MIN, Some(60 * MIN)));
    assert_eq!(c.next_event(), None);
}

#[test]
fn a_stopped_clock_is_met_or_breached() {
    let always = BusinessHours::always();
    let c = clock(60, &always, 0, Some(59 * MIN), &[], 90 * MIN);
    assert_eq!((c.state, c.elapsed_business, c.time_left), (SlaState::Met, 59 * MIN, MIN));
    assert_eq!((c.due_at, c.next_event()), (None, None));
    let c = clock(60, &always, 0, Some(60 * MIN), &[], 90 * MIN);
    assert_eq!((c.state, c.time_left), (SlaState::Breached, 0));
    // A stop recorded after `now` has not happened yet.
    let c = clock(60, &always, 0, Some(80 * MIN), &[], 10 * MIN);
    assert_eq!(c.state, SlaState::Running);
}

#[test]
fn pauses_stop_the_count() {
    let always = BusinessHours::always();
    // Overlapping pauses 10–30 and 20–40 merge into 10–40: at 50, 10 + 10 minutes counted.
    let p = [pause(20 * MIN, Some(40 * MIN)), pause(10 * MIN, Some(30 * MIN))];
    let c = clock(60, &always, 0, None, &p, 50 * MIN);
    assert_eq!((c.state, c.elapsed_business), (SlaState::Running, 20 * MIN));
    assert_eq!((c.warning_at, c.due_at), (Some(75 * MIN), Some(90 * MIN)));

    // Still pending: no timers until the customer answers.
    let p = [pause(10 * MIN, None)];
    let c = clock(60, &always, 0, None, &p, 50 * MIN);
    assert_eq!((c.state, c.elapsed_business, c.time_left), (SlaState::Paused, 10 * MIN, 50 * MIN));
    assert_eq!((c.due_at, c.warning_at, c.breach_at, c.next_event()), (None, None, None, None));

    // A pause that began after the breach does not undo it.
    let p = [pause(70 * MIN, None)];
    let c = clock(60, &always, 0, None, &p, 100 * MIN);
    assert_eq!((c.state, c.time_left, c.due_at), (SlaState::Breached, -10 * MIN, Some(60 * MIN)));

    // Breached in the second counting stretch: 20 minutes, a pause 20–50, then 40 more.
    let p = [pause(20 * MIN, Some(50 * MIN))];
    let c = clock(60, &always, 0, None, &p, 100 * MIN);
    assert_eq!((c.state, c.elapsed_business, c.due_at), (SlaState::Breached, 70 * MIN, Some(90 * MIN)));

    // Pauses before the start do not count against it.
    let p = [pause(-10 * MIN, Some(5 * MIN))];
    let c = clock(60, &always, 0, None, &p, 50 * MIN);
    assert_eq!(c.elapsed_business, 45 * MIN);
}

#[test]
fn business_hours_carry_the_clock_over_the_weekend_and_dst() {
    let cal = tallinn_office();
    // An e-mail on Friday 27 March 14:00 EET (12:00Z), first response within 6 business
    // hours: 3 on Friday, 3 on Monday 30th (now EEST) → 12:00 EEST = 09:00Z. The warning
    // at 4.5 h falls on Monday at 10:30 EEST = 07:30Z.
    let started = utc("2026-03-27T12:00:00Z");
    let c = clock(360, &cal, started, None, &[], utc("2026-03-28T10:00:00Z"));
    assert_eq!((c.state, c.elapsed_business, c.time_left), (SlaState::Running, 3 * HOUR, 3 * HOUR));
    assert_eq!(c.warning_at, Some(utc("2026-03-30T07:30:00Z")));
    assert_eq!(c.breach_at, Some(utc("2026-03-30T09:00:00Z")));

    // Pending on the customer from Friday 16:00 EET (14:00Z) to Monday 10:00 EEST (07:00Z).
    // At Monday 11:00 EEST: 2 h on Friday + 1 h on Monday; due 3 h later, 14:00 EEST.
    let p = [pause(utc("2026-03-27T14:00:00Z"), Some(utc("2026-03-30T07:00:00Z")))];
    let c = clock(360, &cal, started, None, &p, utc("2026-03-30T08:00:00Z"));
    assert_eq!((c.state, c.elapsed_business), (SlaState::Running, 3 * HOUR));
    assert_eq!(c.due_at, Some(utc("2026-03-30T11:00:00Z")));
    assert_eq!(c.warning_at, Some(utc("2026-03-30T09:30:00Z")));

    // Answered on Monday at 11:59 EEST: met with a minute to spare.
    let c = clock(360, &cal, started, Some(utc("2026-03-30T08:59:00Z")), &[], utc("2026-03-31T12:00:00Z"));
    assert_eq!((c.state, c.time_left), (SlaState::Met, MIN));
}

#[test]
fn a_clock_started_outside_business_hours_waits_for_opening() {
    let cal = tallinn_office();
    // Written on Wednesday 23 December 2026 at 20:00 EET (18:00Z); Thursday is a holiday,
    // so a 2-hour target runs Friday 09:00–11:00 EET: due 09:00Z.
    let started = utc("2026-12-23T18:00:00Z");
    let c = clock(120, &cal, started, None, &[], utc("2026-12-24T12:00:00Z"));
    assert_eq!((c.state, c.elapsed_business), (SlaState::Running, 0));
    assert_eq!(c.due_at, Some(utc("2026-12-25T09:00:00Z")));
    assert_eq!(c.warning_at, Some(utc("2026-12-25T08:30:00Z")));
}
