//! Durations on the command line: `500ms`, `10s`, `1.5s`, `30m`, `1h`, `1m30s`; time limits
//! (`0` means none) and poll intervals (at least one second).

use std::time::Duration;

/// The shortest `--interval`: Atlas limits requests per API key.
pub(crate) const MIN_INTERVAL: Duration = atlas_snapshots::MIN_INTERVAL;

/// Parses one or more `<number><unit>` groups, units `ms`, `s`, `m`, `h`; the number may have a
/// decimal part (`1.5s`, `.5m`); `0` alone is allowed. A bare number other than `0` is
/// rejected, so `--interval 10` cannot mean ten milliseconds to one reader and ten seconds to
/// another. Parts below a nanosecond are dropped.
pub(crate) fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty duration (expected e.g. 10s, 1.5s, 500ms, 30m)".to_owned());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let whole = &rest[..whole_len];
        rest = &rest[whole_len..];
        let fraction = match rest.strip_prefix('.') {
            Some(after) => {
                let len = after.bytes().take_while(u8::is_ascii_digit).count();
                if len == 0 {
                    return Err(format!(
                        "{input:?}: a decimal point needs digits after it (e.g. 1.5s)"
                    ));
                }
                rest = &after[len..];
                &after[..len]
            }
            None => "",
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(format!(
                "{input:?} is not a duration (expected e.g. 10s, 1.5s, 500ms, 30m, 1h)"
            ));
        }
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit_nanos: u128 = match unit {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                let number = if fraction.is_empty() {
                    whole.to_owned()
                } else {
                    format!("{whole}.{fraction}")
                };
                return Err(format!(
                    "{input:?} has no unit (write e.g. {number}s or {number}ms)"
                ));
            }
            other => {
                return Err(format!(
                    "{input:?}: unknown unit {other:?} (use ms, s, m or h)"
                ));
            }
        };
        let too_large = || format!("{input:?}: duration too large");
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_large())?
        };
        // At most 20 fraction digits count: below that is far under a nanosecond.
        let digits = &fraction[..fraction.len().min(20)];
        let frac_nanos = if digits.is_empty() {
            0
        } else {
            let scale = 10u128.pow(u32::try_from(digits.len()).unwrap_or(20));
            let f: u128 = digits.parse().map_err(|_| too_large())?;
            // f / scale of a unit, without overflow: unit_nanos <= 3.6e12, f < 1e20.
            (f / scale) * unit_nanos + (f % scale) * unit_nanos / scale
        };
        let nanos = whole
            .checked_mul(unit_nanos)
            .and_then(|n| n.checked_add(frac_nanos))
            .ok_or_else(too_large)?;
        let part = Duration::new(
            u64::try_from(nanos / 1_000_000_000).map_err(|_| too_large())?,
            u32::try_from(nanos % 1_000_000_000).unwrap_or(0),
        );
        total = total.checked_add(part).ok_or_else(too_large)?;
    }
    Ok(total)
}

/// A `--timeout`: a bound, or none (`0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeLimit {
    /// No limit.
    Unlimited,
    /// At most this long.
    After(Duration),
}

impl TimeLimit {
    /// The bound, if any.
    pub(crate) fn duration(self) -> Option<Duration> {
        match self {
            TimeLimit::Unlimited => None,
            TimeLimit::After(d) => Some(d),
        }
    }
}

/// A `--timeout` value: a duration, where zero (`0`, `0s` ...) means no limit.
pub(crate) fn parse_time_limit(input: &str) -> Result<TimeLimit, String> {
    let d = parse_duration(input)?;
    Ok(if d.is_zero() {
        TimeLimit::Unlimited
    } else {
        TimeLimit::After(d)
    })
}

/// An `--interval` value: a duration of at least [`MIN_INTERVAL`].
pub(crate) fn parse_interval(input: &str) -> Result<Duration, String> {
    let d = parse_duration(input)?;
    if d < MIN_INTERVAL {
        return Err(format!(
            "{input:?} is too short: the interval must be at least 1s (Atlas limits the requests of each API key)"
        ));
    }
    Ok(d)
}

/// `1.2s`, `350ms`, `2m05s`: short and readable.
pub(crate) fn format_elapsed(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        let secs = d.as_secs();
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 0 "), Ok(Duration::ZERO));
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration(".5m"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("0.25h"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2.5ms"), Ok(Duration::from_micros(2500)));
        assert_eq!(parse_duration("1m0.5s"), Ok(Duration::from_millis(60_500)));
        assert_eq!(parse_duration("0.000000001s"), Ok(Duration::from_nanos(1)));
        assert_eq!(parse_duration("0.0000000001s"), Ok(Duration::ZERO));
        assert_eq!(
            parse_duration(&format!("1.{}s", "9".repeat(40))),
            Ok(Duration::from_nanos(1_999_999_999))
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "10",
            "s",
            "10x",
            "-1s",
            "10s5",
            "1.s",
            ".s",
            "1.5",
            "1..5s",
            "1.5.5s",
            "99999999999999999999s",
            "9999999999999999999999999999999999999999s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("10").unwrap_err().contains("10s"));
        assert!(parse_duration("1.5").unwrap_err().contains("1.5s"));
        assert!(parse_duration(&format!("{}h", u64::MAX / 1000)).is_err());
    }

    #[test]
    fn limits_and_intervals() {
        assert_eq!(parse_time_limit("0"), Ok(TimeLimit::Unlimited));
        assert_eq!(parse_time_limit("0s"), Ok(TimeLimit::Unlimited));
        assert_eq!(
            parse_time_limit("1.5s"),
            Ok(TimeLimit::After(Duration::from_millis(1500)))
        );
        assert!(parse_interval("0").unwrap_err().contains("at least 1s"));
        assert!(parse_interval("999ms").is_err());
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
    }

    #[test]
    fn elapsed() {
        assert_eq!(format_elapsed(Duration::from_millis(350)), "350ms");
        assert_eq!(format_elapsed(Duration::from_millis(1300)), "1.3s");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2m05s");
    }

    proptest! {
        /// Whole milliseconds written as seconds with a decimal part read back exactly.
        #[test]
        fn decimal_seconds_round_trip(ms in 0u64..10_000_000_000) {
            let text = format!("{}.{:03}s", ms / 1000, ms % 1000);
            prop_assert_eq!(parse_duration(&text), Ok(Duration::from_millis(ms)));
        }

        /// No input makes the parser panic.
        #[test]
        fn never_panics(input in "[0-9.smh ]{0,24}") {
            let _ = parse_duration(&input);
        }
    }
}
