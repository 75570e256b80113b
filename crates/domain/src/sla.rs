//! Service-level agreements: business-hours calendars, policies with targets per channel and
//! priority, and the clock that says whether a promise is on track, at risk or missed.
//!
//! Everything here is computed from values the caller passes (the calendar, the
//! conversation's timeline, `now`); nothing reads a clock or stores state. Time zones come
//! from the host's time zone database when it has one, else from the copy jiff bundles into
//! the binary, so a container without `/usr/share/zoneinfo` still knows every zone.

pub mod calendar;
pub mod clock;
pub mod policy;

pub use calendar::{
    BusinessHours, BusinessHoursSpec, OpenInterval, WeekSchedule, add_business_millis, business_millis_between,
    is_open, next_open,
};
pub use clock::{SlaClock, SlaEvent, SlaPause, SlaState, SlaTimeline};
pub use policy::{DEFAULT_WARN_AT, SlaKind, SlaPolicy, SlaTargetRule, SlaTargets};
