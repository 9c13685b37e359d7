//! Timestamps and ids, made the same way everywhere.
//!
//! Timestamps are RFC 3339 in UTC with exactly six fractional digits (`2025-01-31T09:05:03.123456Z`): the
//! fixed width makes the text sort like the instant, so `ORDER BY created_at` is chronological.

use time::OffsetDateTime;

/// The current time, RFC 3339 UTC, microsecond precision, fixed width.
pub(crate) fn now() -> String {
    format_utc(OffsetDateTime::now_utc())
}

/// The time `lifetime` from now, formatted like [`now`] (saturating at the calendar's end).
pub(crate) fn now_plus(lifetime: std::time::Duration) -> String {
    let now = OffsetDateTime::now_utc();
    format_utc(
        now.checked_add(lifetime.try_into().unwrap_or(time::Duration::MAX))
            .unwrap_or(now),
    )
}

/// A fresh random id (UUID v4, hyphenated lowercase).
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn format_utc(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::format_description::well_known::Rfc3339;

    #[test]
    fn timestamps_are_fixed_width_rfc3339_utc() {
        let at = OffsetDateTime::parse("2025-01-31T09:05:03.120000007Z", &Rfc3339).unwrap();
        assert_eq!(format_utc(at), "2025-01-31T09:05:03.120000Z");
        let stamp = now();
        assert_eq!(stamp.len(), "2025-01-31T09:05:03.120000Z".len());
        assert_eq!(
            OffsetDateTime::parse(&stamp, &Rfc3339)
                .unwrap()
                .offset()
                .whole_seconds(),
            0
        );
    }
}
