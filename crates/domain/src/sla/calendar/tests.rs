//! Business-hours tests. Expected instants are written in UTC, worked out by hand from the
//! zones' offsets: New York EST −5 / EDT −4 (2026: clocks forward 8 March 02:00, back
//! 1 November 02:00); Tallinn EET +2 / EEST +3 (2026: forward 29 March 03:00, back
//! 25 October 04:00).
//! Test code: a failed `unwrap` here is a failed test, as intended.

use super::*;

const HOUR: i64 = 3_600_000;
const MIN: i64 = 60_000;
const NONE: &[&str] = &[];

fn utc(s: &str) -> Millis {
    s.parse::<Timestamp>().unwrap().as_millisecond()
}

fn iv(s: &str) -> OpenInterval {
    s.parse().unwrap()
}

fn cal(zone: &str, week: WeekSchedule, holidays: &[&str]) -> BusinessHours {
    BusinessHours::weekly(zone, week, holidays).unwrap()
}

fn nine_to_five() -> OpenInterval {
    iv("09:00-17:00")
}

fn only_sunday(intervals: &[&str]) -> WeekSchedule {
    WeekSchedule { sun: intervals.iter().map(|s| iv(s)).collect(), ..Default::default() }
}

#[test]
fn a_nine_to_five_day_is_eight_hours_on_both_dst_days_in_new_york() {
    let c = cal("America/New_York", WeekSchedule::every_day(nine_to_five()), NONE);
    // Sunday 8 March (spring forward): 09:00 EDT = 13:00Z to 17:00 EDT = 21:00Z.
    assert_eq!(business_millis_between(&c, utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z")), 8 * HOUR);
    // Sunday 1 November (fall back): 09:00 EST = 14:00Z to 17:00 EST = 22:00Z.
    assert_eq!(business_millis_between(&c, utc("2026-11-01T04:00:00Z"), utc("2026-11-02T05:00:00Z")), 8 * HOUR);
    // Saturday 09:00 EST to Monday 17:00 EDT: three days of eight hours.
    assert_eq!(business_millis_between(&c, utc("2026-03-07T14:00:00Z"), utc("2026-03-09T21:00:00Z")), 24 * HOUR);
    // Saturday 16:00 EST plus two hours: one on Saturday, then Sunday 09:00 EDT + 1 h.
    assert_eq!(add_business_millis(&c, utc("2026-03-07T21:00:00Z"), 2 * HOUR), utc("2026-03-08T14:00:00Z"));
}

#[test]
fn whole_days_count_real_time_across_dst_changes() {
    let ny = cal("America/New_York", WeekSchedule::every_day(OpenInterval::all_day()), NONE);
    assert_eq!(business_millis_between(&ny, utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z")), 23 * HOUR);
    assert_eq!(business_millis_between(&ny, utc("2026-11-01T04:00:00Z"), utc("2026-11-02T05:00:00Z")), 25 * HOUR);
    let tal = cal("Europe/Tallinn", WeekSchedule::every_day(OpenInterval::all_day()), NONE);
    assert_eq!(business_millis_between(&tal, utc("2026-03-28T22:00:00Z"), utc("2026-03-29T21:00:00Z")), 23 * HOUR);
    assert_eq!(business_millis_between(&tal, utc("2026-10-24T21:00:00Z"), utc("2026-10-25T22:00:00Z")), 25 * HOUR);
    // Midnight to midnight is continuous: open at every instant of the change days.
    for t in [utc("2026-03-29T00:59:59Z"), utc("2026-03-29T01:00:00Z"), utc("2026-10-25T00:30:00Z")] {
        assert!(is_open(&tal, t));
    }
}

#[test]
fn intervals_spanning_the_skipped_or_repeated_hour_count_elapsed_time() {
    let c = cal("America/New_York", only_sunday(&["01:00-04:00"]), NONE);
    // 01:00 EST = 06:00Z, 04:00 EDT = 08:00Z.
    assert_eq!(business_millis_between(&c, utc("2026-03-08T00:00:00Z"), utc("2026-03-09T00:00:00Z")), 2 * HOUR);
    // 01:00 EDT (first of the two) = 05:00Z, 04:00 EST = 09:00Z.
    assert_eq!(business_millis_between(&c, utc("2026-11-01T00:00:00Z"), utc("2026-11-02T00:00:00Z")), 4 * HOUR);

    // Opening inside the skipped hour means opening when the clocks jump (07:00Z).
    let c = cal("America/New_York", only_sunday(&["02:30-05:00"]), NONE);
    assert_eq!(business_millis_between(&c, utc("2026-03-08T00:00:00Z"), utc("2026-03-09T00:00:00Z")), 2 * HOUR);
    assert!(!is_open(&c, utc("2026-03-08T06:59:59Z")));
    assert!(is_open(&c, utc("2026-03-08T07:00:00Z")));
    assert_eq!(next_open(&c, utc("2026-03-08T05:00:00Z")), Some(utc("2026-03-08T07:00:00Z")));

    // 01:30 in the repeated hour is its first occurrence (EDT, 05:30Z); 02:00 EST = 07:00Z.
    let c = cal("America/New_York", only_sunday(&["01:30-02:00"]), NONE);
    assert_eq!(business_millis_between(&c, utc("2026-11-01T00:00:00Z"), utc("2026-11-02T00:00:00Z")), 90 * MIN);

    // Tallinn repeats 03:00–04:00 on 25 October: 02:00 EEST = 23:00Z to 05:00 EET = 03:00Z.
    let c = cal("Europe/Tallinn", WeekSchedule::every_day(iv("02:00-05:00")), NONE);
    assert_eq!(business_millis_between(&c, utc("2026-10-24T21:00:00Z"), utc("2026-10-25T22:00:00Z")), 4 * HOUR);
    // ... and skips 03:00–04:00 on 29 March: 02:00 EET = 00:00Z to 05:00 EEST = 02:00Z.
    assert_eq!(business_millis_between(&c, utc("2026-03-28T22:00:00Z"), utc("2026-03-29T21:00:00Z")), 2 * HOUR);
}

#[test]
fn tallinn_weekdays_with_holidays() {
    let c = cal("Europe/Tallinn", WeekSchedule::weekdays(nine_to_five()), &["2026-12-24", "2026-12-25"]);
    // Wednesday 23 December 16:00 EET (14:00Z) to Monday 28th 10:00 EET (08:00Z): Thursday
    // and Friday are holidays, then the weekend; one hour each side.
    let wed_four = utc("2026-12-23T14:00:00Z");
    assert_eq!(business_millis_between(&c, wed_four, utc("2026-12-28T08:00:00Z")), 2 * HOUR);
    assert_eq!(add_business_millis(&c, wed_four, 3 * HOUR), utc("2026-12-28T09:00:00Z"));
    assert_eq!(add_business_millis(&c, wed_four, HOUR), utc("2026-12-23T15:00:00Z"), "due at closing time");
    assert_eq!(next_open(&c, utc("2026-12-23T16:00:00Z")), Some(utc("2026-12-28T07:00:00Z")));
    assert!(!is_open(&c, utc("2026-12-24T10:00:00Z")), "holiday");
    assert!(is_open(&c, utc("2026-12-23T07:00:00Z")), "opening minute");
    assert!(!is_open(&c, utc("2026-12-23T15:00:00Z")), "closing minute");
    assert!(!is_open(&c, utc("2026-12-26T10:00:00Z")), "Saturday");
    assert_eq!(next_open(&c, utc("2026-12-23T10:00:00Z")), Some(utc("2026-12-23T10:00:00Z")));
}

#[test]
fn tallinn_weekdays_across_both_dst_changes() {
    let c = cal("Europe/Tallinn", WeekSchedule::weekdays(nine_to_five()), NONE);
    // Friday 27 March 16:00 EET (14:00Z) + 2 h: Monday 30th 10:00 EEST (07:00Z).
    let fri = utc("2026-03-27T14:00:00Z");
    assert_eq!(add_business_millis(&c, fri, 2 * HOUR), utc("2026-03-30T07:00:00Z"));
    assert_eq!(business_millis_between(&c, fri, utc("2026-03-30T07:00:00Z")), 2 * HOUR);
    // Friday 23 October 16:00 EEST (13:00Z) + 2 h: Monday 26th 10:00 EET (08:00Z).
    let fri = utc("2026-10-23T13:00:00Z");
    assert_eq!(add_business_millis(&c, fri, 2 * HOUR), utc("2026-10-26T08:00:00Z"));
    // The week after the change (Saturday to Saturday, across it) is 40 hours.
    assert_eq!(business_millis_between(&c, utc("2026-10-24T00:00:00Z"), utc("2026-10-31T00:00:00Z")), 40 * HOUR);
    let c = cal("Europe/Tallinn", WeekSchedule::every_day(nine_to_five()), NONE);
    assert_eq!(business_millis_between(&c, utc("2026-03-28T22:00:00Z"), utc("2026-03-29T21:00:00Z")), 8 * HOUR);
    assert_eq!(business_millis_between(&c, utc("2026-10-24T21:00:00Z"), utc("2026-10-25T22:00:00Z")), 8 * HOUR);
}

#[test]
fn always_is_plain_arithmetic() {
    let c = BusinessHours::default();
    assert_eq!(business_millis_between(&c, 1_000, 61_000), 60_000);
    assert_eq!(business_millis_between(&c, 61_000, 1_000), 0);
    assert_eq!(add_business_millis(&c, 1_000, 60_000), 61_000);
    assert!(is_open(&c, 0));
    assert_eq!(next_open(&c, 42), Some(42));
    assert_eq!(c.time_zone(), None);
}

/// A small deterministic generator (xorshift) so the property tests need no crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self, below: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as i64
    }
}

#[test]
fn due_times_round_trip_with_working_time() {
    let split = WeekSchedule {
        mon: vec![iv("08:00-12:00"), iv("13:00-17:30")],
        tue: vec![iv("08:00-12:00"), iv("13:00-17:30")],
        wed: vec![iv("00:00-24:00")],
        fri: vec![iv("08:00-12:00"), iv("22:00-24:00")],
        sat: vec![iv("00:00-02:00"), iv("10:00-14:00")],
        sun: vec![iv("01:00-04:00")],
        ..Default::default()
    };
    let cals = [
        cal("America/New_York", split.clone(), &["2026-07-03", "2026-11-26"]),
        cal("Europe/Tallinn", split, &["2026-06-24"]),
        BusinessHours::always(),
    ];
    let start = utc("2026-01-01T00:00:00Z");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for c in &cals {
        for _ in 0..400 {
            let from = start + rng.next(365 * 24) * HOUR + rng.next(HOUR);
            let amount = 1 + rng.next(60 * HOUR);
            let due = add_business_millis(c, from, amount);
            assert_eq!(business_millis_between(c, from, due), amount, "{from} + {amount}");
            assert_eq!(business_millis_between(c, from, due - 1), amount - 1, "due is the first such instant");
            let mid = from + rng.next(30 * 24 * HOUR);
            let end = mid + rng.next(30 * 24 * HOUR);
            assert_eq!(
                business_millis_between(c, from, end),
                business_millis_between(c, from, mid) + business_millis_between(c, mid, end),
                "{:?} {} {} {}",
                c.time_zone(),
                Timestamp::from_millisecond(from).unwrap(),
                Timestamp::from_millisecond(mid).unwrap(),
                Timestamp::from_millisecond(end).unwrap()
            );
        }
    }
}

#[test]
fn intervals_parse_and_print() {
    assert_eq!(iv("09:00-17:30").to_string(), "09:00-17:30");
    assert_eq!(iv(" 00:00 - 24:00 ").to_string(), "00:00-24:00");
    assert_eq!((iv("09:15-10:00").start_minute(), iv("09:15-10:00").end_minute()), (555, 600));
    for bad in ["9:00-17:00", "17:00-09:00", "10:00-10:00", "24:00-24:00", "10:60-11:00", "10:00", "a-b", "00:00-24:01"]
    {
        assert!(bad.parse::<OpenInterval>().is_err(), "{bad}");
    }
}

#[test]
fn calendars_are_validated() {
    let week = WeekSchedule::weekdays(nine_to_five());
    let err = BusinessHours::weekly("Mars/Olympus", week.clone(), NONE).unwrap_err();
    assert_eq!(err.to_string(), "time_zone: \"Mars/Olympus\" is not a known time zone");
    assert!(BusinessHours::weekly("", week.clone(), NONE).is_err());
    let overlapping = WeekSchedule { tue: vec![iv("11:00-13:00"), iv("09:00-12:00")], ..Default::default() };
    let err = BusinessHours::weekly("UTC", overlapping, NONE).unwrap_err();
    assert_eq!(err.to_string(), "week.tue: 09:00-12:00 overlaps 11:00-13:00");
    let touching = WeekSchedule { tue: vec![iv("12:00-13:00"), iv("09:00-12:00")], ..Default::default() };
    let c = BusinessHours::weekly("UTC", touching, NONE).unwrap();
    let BusinessHoursSpec::Weekly { week, .. } = c.spec() else { panic!("weekly") };
    assert_eq!(week.tue, [iv("09:00-12:00"), iv("12:00-13:00")], "sorted");
    assert!(BusinessHours::weekly("UTC", WeekSchedule::default(), NONE).is_err(), "never open");
    for bad in ["2026-13-01", "26-12-24", "2026-12-24T00:00", "tomorrow"] {
        let err = BusinessHours::weekly("UTC", week.clone(), &[bad]).unwrap_err();
        assert!(err.to_string().starts_with("holidays[0]:"), "{bad}");
    }
}

#[test]
fn calendars_round_trip_through_json() {
    let json = r#"{"kind":"weekly","time_zone":"Europe/Tallinn","week":{"mon":["09:00-17:00"],
        "sat":["10:00-12:00","13:00-15:00"]},"holidays":["2026-12-25","2026-12-24"]}"#;
    let c: BusinessHours = serde_json::from_str(json).unwrap();
    assert_eq!(c.time_zone(), Some("Europe/Tallinn"));
    let out = serde_json::to_value(&c).unwrap();
    assert_eq!(out["holidays"], serde_json::json!(["2026-12-24", "2026-12-25"]));
    assert_eq!(out["week"]["sat"], serde_json::json!(["10:00-12:00", "13:00-15:00"]));
    assert_eq!(serde_json::from_value::<BusinessHours>(out).unwrap(), c);
    let always: BusinessHours = serde_json::from_str(r#"{"kind":"always"}"#).unwrap();
    assert_eq!(always, BusinessHours::always());
    assert!(
        serde_json::from_str::<BusinessHours>(
            r#"{"kind":"weekly","time_zone":"Nowhere/X","week":{"mon":["09:00-17:00"]}}"#
        )
        .is_err()
    );
    assert!(serde_json::from_str::<BusinessHours>(r#"{"kind":"always","extra":1}"#).is_err());
    assert!(
        serde_json::from_str::<BusinessHours>(r#"{"kind":"weekly","time_zone":"UTC","week":{"mon":["9-5"]}}"#).is_err()
    );
}

#[test]
fn extreme_instants_do_not_panic() {
    let c = cal("Europe/Tallinn", WeekSchedule::weekdays(nine_to_five()), NONE);
    assert_eq!(add_business_millis(&c, Millis::MAX - 5, HOUR), Millis::MAX);
    assert_eq!(next_open(&c, Millis::MAX), None);
    assert!(!is_open(&c, Millis::MIN));
    assert!(business_millis_between(&c, Millis::MIN, Millis::MIN + 10 * 24 * HOUR) >= 0);
    assert_eq!(business_millis_between(&BusinessHours::always(), Millis::MIN, Millis::MAX), Millis::MAX);
}
