//! Scalars of a values file as Helm reads them: YAML 1.1, resolved by go-yaml v2 and turned
//! into JSON by sigs.k8s.io/yaml.
//!
//! Helm reads a values file with `sigs.k8s.io/yaml`'s `Unmarshal` (Helm 4:
//! `pkg/chart/v2/loader/load.go`, `LoadValues`, one call per document; Helm 3:
//! `pkg/cli/values/options.go`), which decodes the YAML with go-yaml v2 (`go.yaml.in/yaml/v2`,
//! the continuation of `gopkg.in/yaml.v2`) into Go values, converts them to JSON
//! (`yaml.go`, `convertToJSONableObject`, then `json.Marshal`) and reads the JSON back. The
//! functions here mirror, for one scalar:
//!
//! - go-yaml v2 `resolve.go`, `resolve`: which plain scalars are booleans (`y`, `Y`, `yes`, `Yes`,
//!   `YES`, `on`, `On`, `ON`, `true`, `True`, `TRUE` and their `n`/`no`/`off`/`false` forms, no
//!   other case forms), nulls (`~`, `null`, `Null`, `NULL`, empty), infinities and NaN, integers
//!   (Go's `strconv.ParseInt` with base 0 once every `_` is removed: `0644` is octal 420, `0o17`
//!   15, `0x1F` 31, `0b101` 5, `1_000` 1000, beyond int64 a uint64, beyond that a float) and
//!   floats (`1e3`, `1.`, `.5`, `08`; one that overflows float64, `1e400`, stays a string);
//!   sexagesimal numbers (`190:20:30`) are left strings, as the source says;
//! - go-yaml v2 `decode.go`, `scalar`: a quoted or block scalar without a tag is a string; an
//!   explicit tag resolves as its tag says (`!!str 0644` is a string, `!!int "0644"` 420, `!!float
//!   1` a float, a tag the value does not fit an error); a timestamp (`2001-12-14`) is decoded into
//!   `interface{}` as its text; `!!binary` is decoded from base64; any other tag leaves the text;
//! - sigs.k8s.io/yaml `yaml.go`, `convertToJSONableObject`: a map key that is not a string
//!   becomes the Go formatting of its value (`strconv.Itoa`; a float with
//!   `strconv.FormatFloat(f, 'g', -1, 32)`, so `1.10` is `"1.1"` and `1234567.0` `"1.234567e+06"`;
//!   `true`/`false`); a null or uint64 key is refused; and `encoding/json` refuses NaN and the
//!   infinities as values.
//!
//! The composition of a whole file (maps, lists, anchors, merge keys, limits) is in
//! [`crate::compose`]; this module knows one scalar at a time.

use std::sync::LazyLock;

use regex_lite::Regex;
use serde_json::Value;

/// A scalar as go-yaml v2 decodes it into `interface{}`: the Go type and value.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// `nil`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (64 bits wide, as on every platform Helm ships for).
    Int(i64),
    /// `uint64`: an integer above int64's range.
    Uint(u64),
    /// `float64`.
    Float(f64),
    /// `string`.
    Str(String),
}

const TAG_PREFIX: &str = "tag:yaml.org,2002:";
const STR: &str = "tag:yaml.org,2002:str";
const BOOL: &str = "tag:yaml.org,2002:bool";
const INT: &str = "tag:yaml.org,2002:int";
const FLOAT: &str = "tag:yaml.org,2002:float";
const NULL: &str = "tag:yaml.org,2002:null";
const TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
const BINARY: &str = "tag:yaml.org,2002:binary";
/// The tag of the merge key `<<`.
pub const MERGE: &str = "tag:yaml.org,2002:merge";

/// go-yaml's `shortTag`: `!!int` for `tag:yaml.org,2002:int`.
fn short(tag: &str) -> String {
    match tag.strip_prefix(TAG_PREFIX) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

/// The scalar a values file's `text` is to Helm. `plain` says the scalar was written without
/// quotes and not as a block (`|`, `>`); `tag` is its explicit tag in full
/// (`tag:yaml.org,2002:int` for `!!int`, `!` for the non-specific tag), if it has one. `Err`
/// says why Helm refuses it.
pub fn resolve(text: &str, plain: bool, tag: Option<&str>) -> Result<Scalar, String> {
    // decode.go, `scalar`: `n.tag == "" && !n.implicit` is a quoted or block scalar.
    let Some(tag) = tag else {
        return Ok(if plain { resolve_tagged("", text).1 } else { Scalar::Str(text.to_string()) });
    };
    if tag == BINARY {
        return decode_base64(text).map(|bytes| Scalar::Str(go_string(&bytes))).ok_or_else(|| "!!binary value contains invalid base64 data".to_string());
    }
    if !matches!(tag, STR | BOOL | INT | FLOAT | NULL | TIMESTAMP) {
        // `resolvableTag`: any other tag (`!`, `!custom`, `!!set`) leaves the text.
        return Ok(Scalar::Str(text.to_string()));
    }
    let (found, value) = resolve_tagged(tag, text);
    // resolve.go's deferred check: the tag must be what the text resolves to; an integer
    // tagged `!!float` becomes a float.
    match (tag, found, value) {
        (t, f, value) if t == f || t == STR => Ok(value),
        (FLOAT, INT, Scalar::Int(i)) => Ok(Scalar::Float(i as f64)),
        // Helm's message without the value, which may be a secret. (A uint64 tagged `!!float`
        // lands here too: go-yaml converts only `int` and `int64`.)
        _ => Err(format!("cannot decode a {} value as a {}", short(found), short(tag))),
    }
}

/// resolve.go's `resolve` for a resolvable tag (`""` for a plain scalar without one): the tag
/// the text resolves to and its value. A timestamp resolves to its text, as decode.go gives
/// it to `interface{}`.
fn resolve_tagged(tag: &str, text: &str) -> (&'static str, Scalar) {
    let hint = match text.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint == 0 || tag == STR {
        return (STR, Scalar::Str(text.to_string()));
    }
    if let Some(known) = resolve_map(text) {
        return known;
    }
    match hint {
        b'.' => {
            if let Some(f) = parse_float(text) {
                return (FLOAT, Scalar::Float(f));
            }
        }
        b'D' | b'S' => {
            if (tag.is_empty() || tag == TIMESTAMP) && is_timestamp(text) {
                return (TIMESTAMP, Scalar::Str(text.to_string()));
            }
            let plain = text.replace('_', "");
            if let Some(i) = parse_int(&plain, 0) {
                return (INT, Scalar::Int(i));
            }
            if let Some(u) = parse_uint(&plain, 0) {
                return (INT, Scalar::Uint(u));
            }
            static YAML_STYLE_FLOAT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").expect("valid pattern"));
            if YAML_STYLE_FLOAT.is_match(&plain)
                && let Some(f) = parse_float(&plain)
            {
                return (FLOAT, Scalar::Float(f));
            }
            // What go-yaml still tries for binary numbers, before Go's base 0 knew `0b`.
            if let Some(digits) = plain.strip_prefix("0b") {
                if let Some(i) = parse_int(digits, 2) {
                    return (INT, Scalar::Int(i));
                }
                if let Some(u) = parse_uint(digits, 2) {
                    return (INT, Scalar::Uint(u));
                }
            } else if let Some(digits) = plain.strip_prefix("-0b")
                && let Some(i) = parse_int(&format!("-{digits}"), 2)
            {
                return (INT, Scalar::Int(i));
            }
        }
        _ => {}
    }
    (STR, Scalar::Str(text.to_string()))
}

/// resolve.go's `resolveMap`: the spellings looked up whole.
fn resolve_map(text: &str) -> Option<(&'static str, Scalar)> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => (BOOL, Scalar::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => (BOOL, Scalar::Bool(false)),
        "" | "~" | "null" | "Null" | "NULL" => (NULL, Scalar::Null),
        ".nan" | ".NaN" | ".NAN" => (FLOAT, Scalar::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => (FLOAT, Scalar::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => (FLOAT, Scalar::Float(f64::NEG_INFINITY)),
        // `<<` resolves to the merge tag, which only a key uses; as a value it is its text.
        _ => return None,
    })
}

/// Go's `strconv.ParseFloat(s, 64)` on what reaches it here (the YAML float pattern, or a text
/// starting with `.`): the correctly rounded float, or `None` where Go reports an error (also
/// on overflow: `1e400` is out of range).
fn parse_float(s: &str) -> Option<f64> {
    // Rust's grammar also takes `inf` and `nan`, which never start with a digit, sign or `.`
    // followed by a letter here except as those words: refuse letters other than the exponent.
    if s.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's `strconv.ParseUint(s, base, 64)`, base 0 taking the prefixes `0b`, `0o`, `0x` (either
/// case, with at least one character after them) and a leading `0` for octal.
fn parse_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = match base {
        0 if b[0] == b'0' => match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &s[2..]),
            Some(b'o') if b.len() >= 3 => (8, &s[2..]),
            Some(b'x') if b.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        },
        0 => (10, s),
        other => (other, s),
    };
    digits.bytes().try_fold(0u64, |n, c| {
        let d = (c as char).to_digit(36).filter(|d| *d < base)?;
        n.checked_mul(u64::from(base))?.checked_add(u64::from(d))
    })
}

/// Go's `strconv.ParseInt(s, base, 64)`: an optional sign, then [`parse_uint`].
fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = parse_uint(rest, base)?;
    if negative { if n <= 1 << 63 { Some((n as i64).wrapping_neg()) } else { None } } else { i64::try_from(n).ok() }
}

/// resolve.go's `parseTimestamp`: a text starting with four digits and `-` that Go's
/// `time.Parse` reads with one of `2006-1-2T15:4:5.999999999Z07:00`, the same with a lowercase
/// `t`, `2006-1-2 15:4:5.999999999` or `2006-1-2`. Only `!!timestamp` depends on it: a timestamp
/// reaches the values as its text, as any string does.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or_default();
    // `getnum(value, false)`: one digit, or two.
    fn num(rest: &mut &[u8]) -> Option<u32> {
        let d0 = (*rest.first()? as char).to_digit(10)?;
        match rest.get(1).and_then(|c| (*c as char).to_digit(10)) {
            Some(d1) => {
                *rest = &rest[2..];
                Some(d0 * 10 + d1)
            }
            None => {
                *rest = &rest[1..];
                Some(d0)
            }
        }
    }
    fn literal(rest: &mut &[u8], c: u8) -> Option<()> {
        (rest.first() == Some(&c)).then(|| *rest = &rest[1..])
    }
    let date = |rest: &mut &[u8]| -> Option<()> {
        let month = num(rest)?;
        literal(rest, b'-')?;
        let day = num(rest)?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&day).then_some(())
    };
    let clock = |rest: &mut &[u8]| -> Option<()> {
        (num(rest)? < 24).then_some(())?;
        literal(rest, b':')?;
        (num(rest)? < 60).then_some(())?;
        literal(rest, b':')?;
        (num(rest)? < 60).then_some(())?;
        // `.999999999`: optional fractional seconds, a `.` or `,` and any number of digits.
        if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
            *rest = &rest[1..];
            while rest.first().is_some_and(u8::is_ascii_digit) {
                *rest = &rest[1..];
            }
        }
        Some(())
    };
    // `Z07:00`: `Z`, or a sign, two digits, `:` and two digits.
    let zone = |rest: &mut &[u8]| -> Option<()> {
        if literal(rest, b'Z').is_some() {
            return Some(());
        }
        let z = rest.get(..6)?;
        let digits = |i: usize| (z[i].is_ascii_digit() && z[i + 1].is_ascii_digit()).then(|| (z[i] - b'0') * 10 + (z[i + 1] - b'0'));
        let (hours, minutes) = (digits(1)?, digits(4)?);
        *rest = &rest[6..];
        (matches!(z[0], b'+' | b'-') && z[3] == b':' && hours <= 24 && minutes <= 60).then_some(())
    };
    let layouts: [&dyn Fn(&mut &[u8]) -> Option<()>; 4] = [
        &|r| {
            date(r)?;
            literal(r, b'T')?;
            clock(r)?;
            zone(r)
        },
        &|r| {
            date(r)?;
            literal(r, b't')?;
            clock(r)?;
            zone(r)
        },
        &|r| {
            date(r)?;
            literal(r, b' ')?;
            clock(r)
        },
        &|r| date(r),
    ];
    layouts.iter().any(|layout| {
        let mut rest = &b[5..];
        layout(&mut rest).is_some() && rest.is_empty()
    })
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard base64, line breaks (`\r`, `\n`)
/// skipped, anything else refused.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let quanta = bytes.len() / 4;
    for (i, q) in bytes.chunks(4).enumerate() {
        let pad = match (q[2], q[3]) {
            (b'=', b'=') => 2,
            (_, b'=') => 1,
            _ => 0,
        };
        if pad > 0 && i + 1 != quanta {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad;
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    Some(out)
}

/// Bytes as a Go string reaches JSON: `encoding/json` writes every byte that is not part of valid
/// UTF-8 as U+FFFD.
fn go_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len());
                out.extend(std::iter::repeat_n('\u{FFFD}', bad));
                rest = &after[bad..];
            }
        }
    }
}

/// The JSON key sigs.k8s.io/yaml makes of a map key (`convertToJSONableObject`), or why it
/// refuses one.
pub fn key_string(key: &Scalar) -> Result<String, String> {
    match key {
        Scalar::Str(s) => Ok(s.clone()),
        Scalar::Int(i) => Ok(i.to_string()),
        Scalar::Bool(b) => Ok(b.to_string()),
        Scalar::Float(f) => Ok(format_float32(*f)),
        Scalar::Uint(u) => Err(format!("the key {u} is above the largest int64: Helm cannot read it (unsupported map key of type uint64); quote it for a string key")),
        Scalar::Null => Err("a null key (`~`, `null` or nothing): Helm cannot read it (unsupported map key); quote it for a string key".into()),
    }
}

/// The JSON value of a scalar, or why `encoding/json` refuses it (NaN and the infinities).
pub fn json_value(scalar: Scalar) -> Result<Value, String> {
    Ok(match scalar {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::from(i),
        Scalar::Uint(u) => Value::from(u),
        Scalar::Str(s) => Value::String(s),
        Scalar::Float(f) => match serde_json::Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => return Err(format!("{} is not a finite number, and JSON holds no other: Helm refuses it (json: unsupported value); quote it for a string", format_float32(f))),
        },
    })
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)` as sigs.k8s.io/yaml calls it for a float key,
/// with its names for the infinities and NaN: the float rounded to 32 bits, in the fewest
/// digits that read back as that float32, in exponent form below 1e-4 and from 1e6 on
/// (`1e+06`, `1.5e-05`).
pub fn format_float32(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return ".nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0");
    }
    let (digits, exp) = shortest_digits(x.abs());
    let nd = digits.len() as i32;
    if !(-4..6).contains(&exp) {
        let mut out = format!("{sign}{}", digits[0] as char);
        if nd > 1 {
            out.push('.');
            out.extend(digits[1..].iter().map(|d| *d as char));
        }
        out.push_str(&format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()));
        return out;
    }
    // Plain form: `dp` digits before the point.
    let dp = exp + 1;
    let digit = |i: i32| if (0..nd).contains(&i) { digits[i as usize] as char } else { '0' };
    let mut out = sign.to_string();
    if dp > 0 {
        out.extend((0..dp).map(digit));
    } else {
        out.push('0');
    }
    if nd > dp {
        out.push('.');
        out.extend((dp..nd).map(digit));
    }
    out
}

/// The digits (no trailing zeros) and decimal exponent of the first of them that Go's
/// `strconv` prints for a positive float32 (`ryuFtoaShortest`): the fewest significant digits
/// that read back as it, the nearest such number where there are two, a tie to the even one.
/// Rust's own shortest form breaks ties the other way (`362407.125` is `362407.13` to it,
/// `362407.12` to Go).
fn shortest_digits(x: f32) -> (Vec<u8>, i32) {
    let exact = f64::from(x);
    // `m` times ten to `scale`, as digits and the exponent of the first.
    let digits_of = |m: u64, scale: i32| {
        let text = m.to_string();
        let exp = scale + text.len() as i32 - 1;
        (text.trim_end_matches('0').bytes().collect::<Vec<u8>>(), exp)
    };
    for n in 1..=9u32 {
        // The nearest number of `n` significant digits, a tie to the even one (Rust's exact
        // formatting rounds so).
        let near = format!("{:.*e}", n as usize - 1, exact);
        let (mantissa, exp) = near.split_once('e').expect("exponent form");
        let exp: i32 = exp.parse().expect("an exponent");
        let m: u64 = mantissa.replace('.', "").parse().expect("digits");
        let scale = exp - (n as i32 - 1);
        if near.parse::<f32>() == Ok(x) {
            return digits_of(m, scale);
        }
        // The number of `n` digits on x's other side: where x is a power of two, the gap below
        // it is half the gap above, and the shortest can lie there.
        let below = near.parse::<f64>().is_ok_and(|v| v < exact);
        let (other, other_scale) = match (below, m == 10u64.pow(n - 1)) {
            (true, _) => (m + 1, scale),
            (false, true) => (10u64.pow(n) - 1, scale - 1),
            (false, false) => (m - 1, scale),
        };
        if format!("{other}e{other_scale}").parse::<f32>() == Ok(x) {
            return digits_of(other, other_scale);
        }
    }
    unreachable!("nine significant digits tell every float32 apart")
}

/// A string a writer may leave plain (unquoted) for a YAML 1.1 reader: it resolves to itself.
/// Only the resolution is judged here, not YAML's syntax (`: `, `#`, a leading `-`).
pub fn reads_as_itself(s: &str) -> bool {
    matches!(resolve_tagged("", s).1, Scalar::Str(ref t) if t == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> Scalar {
        resolve(s, true, None).expect("resolves")
    }

    fn tagged(s: &str, tag: &str) -> Result<Scalar, String> {
        resolve(s, true, Some(&format!("{TAG_PREFIX}{tag}")))
    }

    #[test]
    fn octal_hexadecimal_binary_and_underscores_as_go_parses_them() {
        for (text, n) in [
            ("0400", 256),
            ("0644", 420),
            ("010", 8),
            ("0", 0),
            ("00", 0),
            ("-0", 0),
            ("+1", 1),
            ("0o17", 15),
            ("0O17", 15),
            ("0x1F", 31),
            ("0X1f", 31),
            ("-0x1F", -31),
            ("+0x1F", 31),
            ("0b101", 5),
            ("0B101", 5),
            ("-0b101", -5),
            ("1_000", 1000),
            ("1__0", 10),
            ("1_", 1),
            ("0x_1F", 31),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ] {
            assert_eq!(plain(text), Scalar::Int(n), "{text}");
        }
        assert_eq!(plain("9223372036854775808"), Scalar::Uint(1 << 63));
        assert_eq!(plain("18446744073709551615"), Scalar::Uint(u64::MAX));
        // Beyond uint64: a float, if it looks like one; `0x...` does not.
        assert_eq!(plain("18446744073709551616"), Scalar::Float(18446744073709551616.0));
        assert_eq!(plain("-9223372036854775809"), Scalar::Float(-9223372036854775809.0));
        assert_eq!(plain("07777777777777777777777"), Scalar::Float(7.777777777777777e21));
        assert_eq!(plain("0x10000000000000000"), Scalar::Str("0x10000000000000000".into()));
        // Not octal: read as a decimal float.
        assert_eq!(plain("08"), Scalar::Float(8.0));
        assert_eq!(plain("0_9"), Scalar::Float(9.0));
        for text in ["0x", "0b", "0o", "0b2", "_1", "1a", "0x1G", "--1", "+-1", "-", "+"] {
            assert_eq!(plain(text), Scalar::Str(text.into()), "{text}");
        }
    }

    #[test]
    fn booleans_and_nulls_are_the_spellings_of_the_resolve_table() {
        for t in ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"] {
            assert_eq!(plain(t), Scalar::Bool(true), "{t}");
        }
        for f in ["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"] {
            assert_eq!(plain(f), Scalar::Bool(false), "{f}");
        }
        for null in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(plain(null), Scalar::Null, "{null:?}");
        }
        for s in ["yEs", "oN", "tRue", "nULL", "nil", "None", "YEs", "ye", "offf"] {
            assert_eq!(plain(s), Scalar::Str(s.into()), "{s}");
        }
    }

    #[test]
    fn floats_infinities_and_what_stays_a_string() {
        for (text, f) in
            [("1e3", 1000.0), ("1.0", 1.0), ("1.", 1.0), (".5", 0.5), ("+.5", 0.5), ("-.5", -0.5), ("1_000.5", 1000.5), ("1.5e3", 1500.0), ("1.e2", 100.0), ("1e-400", 0.0)]
        {
            assert_eq!(plain(text), Scalar::Float(f), "{text}");
        }
        assert!(matches!(plain("-0.0"), Scalar::Float(f) if f == 0.0 && f.is_sign_negative()));
        assert!(matches!(plain(".nan"), Scalar::Float(f) if f.is_nan()));
        assert_eq!(plain(".Inf"), Scalar::Float(f64::INFINITY));
        assert_eq!(plain("+.INF"), Scalar::Float(f64::INFINITY));
        assert_eq!(plain("-.inf"), Scalar::Float(f64::NEG_INFINITY));
        // Out of float64's range, sexagesimal, timestamps, Go's own float words: strings.
        for s in ["1e400", ".1e400", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "inf", "nan", ".5_0", ".", ".e3", "1e", "0x1p-2", ".inf_"] {
            assert_eq!(plain(s), Scalar::Str(s.into()), "{s}");
        }
    }

    #[test]
    fn quoted_scalars_are_strings_and_tags_decide_as_go_yaml_v2_does() {
        assert_eq!(resolve("0644", false, None), Ok(Scalar::Str("0644".into())));
        assert_eq!(resolve("yes", false, None), Ok(Scalar::Str("yes".into())));
        assert_eq!(tagged("0644", "str"), Ok(Scalar::Str("0644".into())));
        assert_eq!(tagged("0644", "int"), Ok(Scalar::Int(420)));
        assert_eq!(resolve("0644", false, Some(INT)), Ok(Scalar::Int(420)));
        assert_eq!(tagged("1", "float"), Ok(Scalar::Float(1.0)));
        assert_eq!(tagged("yes", "bool"), Ok(Scalar::Bool(true)));
        assert_eq!(tagged("~", "null"), Ok(Scalar::Null));
        assert_eq!(tagged("2001-12-14", "timestamp"), Ok(Scalar::Str("2001-12-14".into())));
        assert_eq!(tagged("aGVsbG8=", "binary"), Ok(Scalar::Str("hello".into())));
        assert_eq!(tagged("8J+Y", "binary"), Ok(Scalar::Str("\u{FFFD}".repeat(3))));
        for (text, tag) in
            [("abc", "int"), ("1.5", "int"), ("1", "bool"), ("x", "null"), ("5", "timestamp"), ("2001-02-30", "timestamp"), ("~", "int"), ("18446744073709551615", "float")]
        {
            assert!(tagged(text, tag).is_err(), "{text} as !!{tag}");
        }
        assert_eq!(tagged("!!!", "binary"), Err("!!binary value contains invalid base64 data".into()));
        for other in ["!", "!custom", "tag:yaml.org,2002:set"] {
            assert_eq!(resolve("0644", true, Some(other)), Ok(Scalar::Str("0644".into())), "{other}");
        }
    }

    #[test]
    fn timestamps_as_go_time_parse_reads_the_four_layouts() {
        for t in [
            "2001-12-14",
            "2001-1-2",
            "2000-02-29",
            "2001-12-14T21:59:43.10Z",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10",
            "2001-12-14 1:2:3",
            "2001-12-14T21:59:43+01:00",
        ] {
            assert!(is_timestamp(t), "{t}");
        }
        for t in ["2001-12-14 21:59:43.10 -5", "2001-02-29", "2001-13-01", "2001-012-14", "01-12-14", "2001-12-14T21:59:43", "2001-12-14 24:00:00", "2001-12-14x"] {
            assert!(!is_timestamp(t), "{t}");
        }
    }

    #[test]
    fn keys_are_formatted_as_sigs_k8s_io_yaml_formats_them() {
        for (key, text) in [
            (plain("1.10"), "1.1"),
            (plain("0644"), "420"),
            (plain("0x1F"), "31"),
            (plain("no"), "false"),
            (plain("yes"), "true"),
            (plain("1e3"), "1000"),
            (plain("3.14159265358979"), "3.1415927"),
            (plain("1e6"), "1e+06"),
            (plain("100000"), "100000"),
            (plain("100000.0"), "100000"),
            (plain("0.0001"), "0.0001"),
            (plain("0.00001"), "1e-05"),
            (plain("1234567.0"), "1.234567e+06"),
            (plain("16777217.0"), "1.6777216e+07"),
            (plain("99999999999999999999"), "1e+20"),
            (plain("1e39"), ".inf"),
            (plain("1e-50"), "0"),
            (plain("-0.0"), "-0"),
            (plain("-.inf"), "-.inf"),
            (plain(".nan"), ".nan"),
            (plain("-1.5e-7"), "-1.5e-07"),
            // A tie between two shortest forms goes to the even digit.
            (plain("3.6240712559833e5"), "362407.12"),
            (plain("1.1754944e-38"), "1.1754944e-38"),
            (plain("3.4028235e38"), "3.4028235e+38"),
            (plain("1e-45"), "1e-45"),
            (plain("8388608.0"), "8.388608e+06"),
            (plain("190:20:30"), "190:20:30"),
        ] {
            assert_eq!(key_string(&key).as_deref(), Ok(text), "{key:?}");
        }
        assert!(key_string(&Scalar::Null).is_err());
        assert!(key_string(&plain("18446744073709551615")).is_err());
    }

    #[test]
    fn json_refuses_infinities_and_nan_as_values() {
        assert!(json_value(plain(".inf")).is_err());
        assert!(json_value(plain(".nan")).is_err());
        assert_eq!(json_value(plain("0644")), Ok(Value::from(420)));
    }

    #[test]
    fn what_a_writer_may_leave_plain() {
        for s in ["abc", "/x", "yEs", "1.2.3", "2001-12-14", "190:20:30", "1e400", "0x"] {
            assert!(reads_as_itself(s), "{s}");
        }
        for s in ["y", "NO", "0644", "1_000", "0x1F", "1e3", "08", "", "~", ".5", "-1", ".inf"] {
            assert!(!reads_as_itself(s), "{s}");
        }
    }
}
