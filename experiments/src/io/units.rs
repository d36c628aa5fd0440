//! Durations as people write them (`250ms`, `90s`, `15m`, `2h`, `1d`), read from flags and
//! scenario files and written back into manifests and reports.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use shardsim_sim::SimDuration;
use shardsim_sim::cluster::MAX_USER_TIME;

/// Parses `90s`, `15m`, `2h`, `1d`, `250ms`, compounds such as `1h30m` or `2m30s`, or a bare
/// number of seconds.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a duration: use e.g. 90s, 15m, 2h, 1d, 1h30m");
    if t.is_empty() {
        return Err(bad());
    }
    let mut rest = t;
    let mut secs = 0.0;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(split);
        let value: f64 = number.parse().map_err(|_| bad())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        secs += match unit.trim() {
            "" if next.is_empty() && rest.len() == t.len() => value,
            "s" => value,
            "ms" => value / 1e3,
            "m" | "min" => value * 60.0,
            "h" => value * 3600.0,
            "d" => value * 86_400.0,
            other => {
                return Err(format!(
                    "unknown unit `{other}` in `{text}`: allowed ms, s, m, h, d"
                ));
            }
        };
        rest = next;
    }
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("duration `{text}` must not be negative"));
    }
    let d = SimDuration::from_secs_f64(secs);
    if d > MAX_USER_TIME {
        return Err(format!(
            "duration `{text}` is too long: at most 36500d (100 years), so that sums of times cannot overflow the clock"
        ));
    }
    Ok(d)
}

/// Parses a strictly positive duration (for command-line flags).
pub fn parse_positive_duration(text: &str) -> Result<SimDuration, String> {
    let d = parse_duration(text)?;
    if d == SimDuration::ZERO {
        return Err(format!("duration `{text}` must be positive"));
    }
    Ok(d)
}

/// Parses a strictly positive, finite number (for command-line flags).
pub fn parse_positive_finite(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("`{text}` must be a positive, finite number")),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

/// A duration as the command line writes it (`90s`, `15m`, `2h`, `250ms`): the largest whole
/// unit, so that a manifest's command reads back to the same duration.
pub fn duration_arg(d: SimDuration) -> String {
    let s = d.as_nanos() / 1_000_000_000;
    if !d.as_nanos().is_multiple_of(1_000_000_000) {
        format!("{}ms", d.as_nanos() / 1_000_000)
    } else if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// A duration for a person to read: hours with one decimal from an hour up, else whole minutes.
pub fn hours_or_minutes(d: SimDuration) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.0} min", s / 60.0)
    }
}

/// Milliseconds rounded to six decimals (`0` for no value): the latency figures of the result
/// files.
pub fn ms(d: Option<SimDuration>) -> f64 {
    d.map_or(0.0, |d| round6(d.as_millis_f64()))
}

/// Six decimals: enough for every figure, and short files.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A duration field in a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub SimDuration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"250ms\", \"90s\", \"15m\", \"2h\" or \"1d\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                if v < 0 {
                    return Err(E::custom("a duration must not be negative"));
                }
                Ok(Dur(SimDuration::from_secs(v as u64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                parse_duration(&v.to_string()).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("250ms"), Ok(SimDuration::from_millis(250)));
        assert_eq!(parse_duration("90"), Ok(SimDuration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(SimDuration::from_mins(15)));
        assert_eq!(parse_duration("1.5h"), Ok(SimDuration::from_mins(90)));
        assert_eq!(parse_duration("1d"), Ok(SimDuration::from_secs(86_400)));
        assert_eq!(parse_duration("15h30m"), Ok(SimDuration::from_mins(930)));
        assert_eq!(parse_duration("2m30s"), Ok(SimDuration::from_secs(150)));
        assert!(
            parse_duration("3 weeks")
                .unwrap_err()
                .contains("allowed ms, s, m, h, d")
        );
        assert!(parse_duration("5m10").is_err(), "a bare number only alone");
        assert!(parse_duration("").is_err());
        assert!(parse_positive_duration("0s").is_err());
    }
}
