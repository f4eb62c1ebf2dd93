//! A CronJob's `schedule` and `timeZone` as the API server judges them
//! (`pkg/apis/batch/validation/validation.go` in kubernetes/kubernetes: `validateScheduleFormat`
//! and `validateTimeZone`, called by `validateCronJobSpec`).
//!
//! The schedule goes through robfig/cron v3's `ParseStandard` (five fields, or a descriptor such
//! as `@daily`), and since Kubernetes 1.27 a schedule that contains `TZ` at all is refused
//! ("cannot use TZ or CRON_TZ in schedule, use timeZone field instead"). The time zone must be a
//! name Go's `time.LoadLocation` finds, after a shape test on each `/`-separated part
//! (`validTimeZoneCharacters`, `^[A-Za-z\.\-_0-9+]{1,14}$`, no `.` or `..`, no leading `-`), and
//! never `Local` in any case. Which names the API server's time zone database holds cannot be
//! known here; the shape, emptiness and `Local` can.

/// The bounds and names of one of the five fields (robfig/cron v3 `spec.go`: `minutes`,
/// `hours`, `dom`, `months`, `dow`).
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field { name: "minute", min: 0, max: 59, names: &[] },
    Field { name: "hour", min: 0, max: 23, names: &[] },
    Field { name: "day of month", min: 1, max: 31, names: &[] },
    Field { name: "month", min: 1, max: 12, names: &MONTHS },
    Field { name: "day of week", min: 0, max: 6, names: &DAYS },
];

/// The descriptors `ParseStandard` takes besides `@every <duration>` (robfig/cron v3
/// `parser.go`, `parseDescriptor`).
pub const CRON_DESCRIPTORS: [&str; 7] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/// A value of a field: a number, or (months, days of week) a name, as `parseIntOrName` reads it.
fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = field.names.iter().position(|n| *n == lower) {
        // Months count from 1, days of week from 0.
        return Ok(i as u32 + field.min);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the {} field: {text:?} is not a number", field.name));
    }
    text.parse::<u32>().map_err(|_| format!("the {} field: {text:?} is too large", field.name))
}

/// One comma-separated range: `*`, `?`, `N`, `N-M`, each with an optional `/step` (`getRange`).
fn range(expr: &str, field: &Field) -> Result<(), String> {
    let (span, step) = match expr.split_once('/') {
        Some((span, step)) => (span, Some(step)),
        None => (expr, None),
    };
    if step.is_some_and(|s| s.contains('/')) {
        return Err(format!("the {} field: too many slashes in {expr:?}", field.name));
    }
    let (start, end) = if span == "*" || span == "?" {
        (field.min, field.max)
    } else {
        let mut bounds = span.split('-');
        let start = value(bounds.next().unwrap_or(""), field)?;
        let end = match (bounds.next(), bounds.next()) {
            (None, _) => {
                // `N/step` runs from N to the field's maximum.
                if step.is_some() { field.max } else { start }
            }
            (Some(end), None) => value(end, field)?,
            (Some(_), Some(_)) => return Err(format!("the {} field: too many hyphens in {expr:?}", field.name)),
        };
        (start, end)
    };
    if let Some(step) = step {
        let n = value(step, &Field { names: &[], ..*field })?;
        if n == 0 {
            return Err(format!("the {} field: the step of {expr:?} must be a positive number", field.name));
        }
    }
    if start < field.min {
        return Err(format!("the {} field: the beginning of {expr:?} ({start}) is below the minimum ({})", field.name, field.min));
    }
    if end > field.max {
        return Err(format!("the {} field: the end of {expr:?} ({end}) is above the maximum ({})", field.name, field.max));
    }
    if start > end {
        return Err(format!("the {} field: the beginning of {expr:?} ({start}) is beyond its end ({end})", field.name));
    }
    Ok(())
}

/// `time.ParseDuration`'s syntax for `@every`: numbers with units (`1h30m`, `90s`, `1.5h`).
fn go_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 || rest[..digits].chars().filter(|c| *c == '.').count() > 1 || rest[..digits] == *"." {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"].iter().filter(|u| rest.starts_with(*u)).max_by_key(|u| u.len()) else { return false };
        rest = &rest[unit.len()..];
    }
    true
}

/// What the API server says of a CronJob `schedule`, or `None` when it takes it.
pub fn cron_schedule_problem(schedule: &str) -> Option<String> {
    let refused = |why: String| Some(format!("the schedule {schedule:?} {why}"));
    if schedule.is_empty() {
        return refused("is empty".into());
    }
    if schedule.contains("TZ") {
        return refused("sets a time zone (TZ or CRON_TZ), which Kubernetes refuses since 1.27: use the CronJob's timeZone field".into());
    }
    if let Some(descriptor) = schedule.strip_prefix('@') {
        if CRON_DESCRIPTORS.contains(&schedule) {
            return None;
        }
        if let Some(duration) = descriptor.strip_prefix("every ") {
            return (!go_duration(duration)).then(|| format!("the schedule {schedule:?} is not @every followed by a duration such as 1h30m"));
        }
        return refused(format!("is not a descriptor cron knows ({}, or @every <duration>)", CRON_DESCRIPTORS.join(", ")));
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return refused(format!("has {} fields: Kubernetes takes five (minute, hour, day of month, month, day of week) or a descriptor such as @daily", fields.len()));
    }
    for (text, field) in fields.iter().zip(&FIELDS) {
        for expr in text.split(',').filter(|e| !e.is_empty()) {
            if let Err(why) = range(expr, field) {
                return refused(format!("is not valid: {why}"));
            }
        }
    }
    None
}

/// The shape [`time_zone_problem`] takes, as one regular expression (for a schema), `Local`
/// aside: `/`-separated parts of 1 to 14 characters, none starting with `.` or `-`.
pub const TIME_ZONE_PATTERN: &str = r"^[A-Za-z0-9_+][-A-Za-z0-9._+]{0,13}(/[A-Za-z0-9_+][-A-Za-z0-9._+]{0,13})*$";

/// What the API server says of a CronJob `timeZone`, or `None` when its shape is one
/// `time.LoadLocation` may find (`validateTimeZone`).
pub fn time_zone_problem(zone: &str) -> Option<String> {
    if zone.trim().is_empty() {
        return Some(format!("the time zone {zone:?} is empty: leave timeZone out for the controller's local time, or name an IANA time zone such as Europe/Paris"));
    }
    // Upstream refuses `.`, `..` and a leading `-`; a leading `.` is refused here too (no IANA
    // name has one, and LoadLocation would find none), so that one pattern says it all
    // ([`TIME_ZONE_PATTERN`]).
    let part_ok = |p: &str| !p.starts_with(['.', '-']) && (1..=14).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
    if !zone.split('/').all(part_ok) {
        return Some(format!(
            "the time zone {zone:?} is not an IANA time zone name (parts of 1 to 14 letters, digits, '.', '-', '_' or '+', separated by '/'), such as Europe/Paris"
        ));
    }
    if zone.eq_ignore_ascii_case("local") {
        return Some(format!("the time zone {zone:?} is not allowed: Kubernetes wants an explicit IANA time zone, such as Europe/Paris or Etc/UTC"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_fields_and_descriptors_pass() {
        for ok in [
            "0 2 * * *",
            "*/15 * * * *",
            "0 0 1 jan,JUL *",
            "30 3 * * mon-fri",
            "0 0 ? * SUN",
            "5/10 1-5/2 1,15 * 0",
            "0  2 * *\t*",
            "@daily",
            "@midnight",
            "@hourly",
            "@weekly",
            "@monthly",
            "@yearly",
            "@annually",
            "@every 1h30m",
        ] {
            assert_eq!(cron_schedule_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn what_the_api_server_refuses_is_refused_with_the_reason() {
        for (bad, needle) in [
            ("", "is empty"),
            ("0 2 * *", "has 4 fields"),
            ("0 0 2 * * *", "has 6 fields"),
            ("61 * * * *", "the minute field: the end of \"61\" (61) is above the maximum (59)"),
            ("0 24 * * *", "hour field"),
            ("0 0 0 * *", "the day of month field: the beginning of \"0\" (0) is below the minimum (1)"),
            ("0 0 * 13 *", "month field"),
            ("0 0 * * 7", "the day of week field: the end of \"7\" (7) is above the maximum (6)"),
            ("0 0 * * fri-mon", "is beyond its end"),
            ("*/0 * * * *", "must be a positive number"),
            ("1-2-3 * * * *", "too many hyphens"),
            ("*/2/3 * * * *", "too many slashes"),
            ("x * * * *", "\"x\" is not a number"),
            ("CRON_TZ=UTC 0 2 * * *", "use the CronJob's timeZone field"),
            ("TZ=Europe/Paris @daily", "TZ or CRON_TZ"),
            ("@fortnightly", "is not a descriptor"),
            ("@every", "is not a descriptor"),
            ("@every soon", "followed by a duration"),
        ] {
            let problem = cron_schedule_problem(bad).unwrap_or_else(|| panic!("{bad:?} passed"));
            assert!(problem.contains(needle), "{bad:?}: {problem}");
        }
    }

    #[test]
    fn the_pattern_says_what_the_function_says() {
        let re = regex_lite::Regex::new(TIME_ZONE_PATTERN).expect("valid pattern");
        for zone in ["Europe/Paris", "Etc/GMT+5", "UTC", "", " ", "Europe//Paris", "-Europe", ".hidden", "abcdefghijklmno", "a/b/c", "Local"] {
            let shape_ok = time_zone_problem(zone).is_none() || zone.eq_ignore_ascii_case("local");
            assert_eq!(re.is_match(zone), shape_ok, "{zone:?}");
        }
    }

    #[test]
    fn time_zones_are_judged_by_shape_emptiness_and_local() {
        for ok in ["Europe/Paris", "Etc/UTC", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "EST5EDT"] {
            assert_eq!(time_zone_problem(ok), None, "{ok}");
        }
        for (bad, needle) in [
            ("", "is empty"),
            (" ", "is empty"),
            ("Local", "explicit IANA"),
            ("local", "explicit IANA"),
            ("Europe//Paris", "not an IANA"),
            ("/Europe", "not an IANA"),
            ("Europe/Paris/", "not an IANA"),
            ("../etc/passwd", "not an IANA"),
            ("-Europe", "not an IANA"),
            (".hidden", "not an IANA"),
            ("Europe/Paris Summer", "not an IANA"),
            ("America/Argentina_BuenosAires", "not an IANA"),
        ] {
            let problem = time_zone_problem(bad).unwrap_or_else(|| panic!("{bad:?} passed"));
            assert!(problem.contains(needle), "{bad:?}: {problem}");
        }
    }
}
