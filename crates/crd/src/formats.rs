//! String formats, as the API server checks them: k8s.io/kube-openapi `pkg/validation/strfmt`
//! (`default.go`, the default registry), restricted by k8s.io/apiextensions-apiserver
//! `pkg/apiserver/validation/formats.go` to the formats a CRD may use. Other formats (and
//! `password`, which checks nothing) accept any string.
//!
//! `int32` and `int64` are formats of integers, checked by [`integer_format`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `s` is a valid `format`; `true` for formats the API server does not check.
pub fn string_format(format: &str, s: &str) -> bool {
    match format {
        "date-time" | "datetime" => date_time(s),
        "date" => date(s),
        "uri" => uri(s),
        "email" => email(s),
        "hostname" => hostname(s),
        "ipv4" => s.parse::<Ipv4Addr>().is_ok(),
        // Go's net.ParseIP with a colon in the text: IPv4-mapped addresses are IPv6 here.
        "ipv6" => s.contains(':') && s.parse::<Ipv6Addr>().is_ok(),
        "cidr" => cidr(s),
        "mac" => mac(s),
        "uuid" => uuid(s, None),
        "uuid3" => uuid(s, Some('3')),
        "uuid4" => uuid(s, Some('4')),
        "uuid5" => uuid(s, Some('5')),
        "byte" => base64(s),
        "duration" => duration(s),
        "hexcolor" => s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit()),
        _ => true,
    }
}

/// Whether an integer fits `int32`/`int64`; `true` for other formats.
pub fn integer_format(format: &str, n: &serde_json::Number) -> bool {
    match format {
        "int32" => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) || n.as_f64().is_some_and(|f| f.fract() == 0.0 && f >= i32::MIN as f64 && f <= i32::MAX as f64),
        "int64" => n.as_i64().is_some() || n.as_f64().is_some_and(|f| f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64),
        _ => true,
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `YYYY-MM-DD` with a real month and day (strfmt's `IsDate`: Go's `time.Parse("2006-01-02")`).
fn date(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return false };
    let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// RFC 3339 (strfmt's `ParseDateTime` layouts: `T` or a space, optional fraction, `Z` or an
/// offset).
fn date_time(s: &str) -> bool {
    if s.len() < 20 || !s.is_char_boundary(10) || !s.is_char_boundary(11) {
        return false;
    }
    let (d, rest) = s.split_at(10);
    if !date(d) || !matches!(rest.as_bytes()[0], b'T' | b't' | b' ') {
        return false;
    }
    let rest = &rest[1..];
    let (time, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => return false,
    };
    let (clock, fraction) = time.split_once('.').map_or((time, None), |(c, f)| (c, Some(f)));
    let mut hms = clock.split(':');
    let (Some(h), Some(m), Some(sec), None) = (hms.next(), hms.next(), hms.next(), hms.next()) else { return false };
    let ok_clock = digits(h, 2).is_some_and(|h| h < 24) && digits(m, 2).is_some_and(|m| m < 60) && digits(sec, 2).is_some_and(|s| s < 61);
    let ok_fraction = fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    let ok_zone = matches!(zone, "Z" | "z")
        || (zone.len() == 6 && zone.as_bytes()[3] == b':' && digits(&zone[1..3], 2).is_some_and(|h| h < 24) && digits(&zone[4..], 2).is_some_and(|m| m < 60));
    ok_clock && ok_fraction && ok_zone
}

/// strfmt's `IsURI` is Go's `url.Parse`, which takes almost anything but control characters and
/// a `%` not followed by two hex digits.
fn uri(s: &str) -> bool {
    let b = s.as_bytes();
    if b.iter().any(|c| *c < 0x20 || *c == 0x7f) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// strfmt's `IsEmail` is Go's `mail.ParseAddress`; this takes its plain form `local@domain`.
fn email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty() && !domain.is_empty() && !s.chars().any(char::is_whitespace) && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.')
}

/// strfmt's `IsHostname`: at most 255 characters, dot-separated labels of letters, digits and
/// inner hyphens, at most 63 each.
fn hostname(s: &str) -> bool {
    if s.is_empty() || s.len() > 255 {
        return false;
    }
    s.trim_end_matches('.')
        .split('.')
        .all(|label| !label.is_empty() && label.len() <= 63 && !label.starts_with('-') && !label.ends_with('-') && label.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// Go's `net.ParseCIDR`: an address, `/`, and a prefix length within its size.
fn cidr(s: &str) -> bool {
    let Some((ip, prefix)) = s.split_once('/') else { return false };
    let Ok(ip) = ip.parse::<IpAddr>() else { return false };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    !prefix.is_empty() && prefix.len() <= 3 && prefix.bytes().all(|b| b.is_ascii_digit()) && prefix.parse::<u32>().is_ok_and(|p| p <= max)
}

/// Go's `net.ParseMAC`: 6, 8 or 20 bytes as hex pairs separated by `:` or `-`, or hex quads
/// separated by `.`.
fn mac(s: &str) -> bool {
    let sizes = [6, 8, 20];
    for sep in [':', '-'] {
        let parts: Vec<&str> = s.split(sep).collect();
        if sizes.contains(&parts.len()) && parts.iter().all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit())) {
            return true;
        }
    }
    let parts: Vec<&str> = s.split('.').collect();
    sizes.contains(&(parts.len() * 2)) && parts.iter().all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// strfmt's UUID patterns: 8-4-4-4-12 hex digits, the version digit checked for `uuid3/4/5`.
fn uuid(s: &str, version: Option<char>) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let shape = groups.len() == 5 && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    shape && version.is_none_or(|v| groups[2].starts_with(v))
}

/// strfmt's `byte`: standard base64 (Go's `base64.StdEncoding.DecodeString`).
fn base64(s: &str) -> bool {
    if !s.len().is_multiple_of(4) {
        return false;
    }
    let body = s.trim_end_matches('=');
    s.len() - body.len() <= 2 && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// strfmt's `IsDuration` (`ParseDuration`): Go durations, also with `d` and `w`; this takes a
/// sequence of numbers with those units (strfmt's spelled-out units, `3 days`, are refused).
fn duration(s: &str) -> bool {
    let s = s.trim();
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s.is_empty() {
        return false;
    }
    let units = ["ns", "us", "µs", "ms", "s", "m", "h", "d", "w"];
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if n == 0 || rest[..n].matches('.').count() > 1 {
            return false;
        }
        rest = rest[n..].trim_start();
        let Some(unit) = units.iter().filter(|u| rest.starts_with(**u)).max_by_key(|u| u.len()) else { return false };
        rest = rest[unit.len()..].trim_start();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_takes_its_values_and_refuses_others() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("date-time", &["2024-02-29T10:00:00Z", "2024-01-01T00:00:00.123+02:00"], &["2023-02-29T10:00:00Z", "2024-01-01", "2024-01-01T25:00:00Z"]),
            ("date", &["2024-12-31"], &["2024-13-01", "24-01-01"]),
            ("uri", &["https://example.com/a%20b", "relative/path"], &["https://x/%zz", "a\u{1}"]),
            ("email", &["a@b.c"], &["a", "a@", "a b@c"]),
            ("hostname", &["example.com", "a-b.c"], &["-a.com", "a..b", ""]),
            ("ipv4", &["10.0.0.1"], &["10.0.0.256", "::1"]),
            ("ipv6", &["::1", "fe80::1"], &["10.0.0.1", "g::1"]),
            ("cidr", &["10.0.0.0/8", "fd00::/64"], &["10.0.0.0/33", "10.0.0.0"]),
            ("mac", &["00:1a:2b:3c:4d:5e", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"], &["00:1a:2b", "zz:1a:2b:3c:4d:5e"]),
            ("uuid", &["123e4567-e89b-12d3-a456-426614174000"], &["123e4567e89b12d3a456426614174000"]),
            ("byte", &["aGVsbG8=", ""], &["aGVsbG8", "a*=="]),
            ("duration", &["1h30m", "5s", "2d 3h"], &["", "1x", "h"]),
            ("password", &["anything"], &[]),
        ];
        for (format, good, bad) in cases {
            for s in *good {
                assert!(string_format(format, s), "{format} should take {s:?}");
            }
            for s in *bad {
                assert!(!string_format(format, s), "{format} should refuse {s:?}");
            }
        }
        assert!(integer_format("int32", &2147483647.into()) && !integer_format("int32", &2147483648i64.into()));
    }
}
