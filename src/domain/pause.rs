//! A pair's pause: besides active/inactive, a pair can stop trading now (until resumed) or
//! until a time, with a reason and a mode. A pause ends by the clock alone: whoever reads
//! it compares its end with now, so nothing has to run at that instant.

use super::{ConfigError, FieldError, FieldErrors};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a bot does with a paused pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PauseMode {
    /// Opens nothing new; open positions are managed as usual.
    #[default]
    NoNewEntries,
    /// Exits its open positions.
    CloseOut,
}

impl PauseMode {
    pub const ALL: [PauseMode; 2] = [PauseMode::NoNewEntries, PauseMode::CloseOut];

    pub fn as_str(self) -> &'static str {
        match self {
            PauseMode::NoNewEntries => "no_new_entries",
            PauseMode::CloseOut => "close_out",
        }
    }

    pub fn parse(input: &str) -> Result<PauseMode, FieldError> {
        PauseMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == input)
            .ok_or_else(|| FieldError::new("mode", "must be no_new_entries or close_out"))
    }

    /// The mode in words, as the console and the CLI show it.
    pub fn describe(self) -> &'static str {
        match self {
            PauseMode::NoNewEntries => "no new entries (open positions are managed as usual)",
            PauseMode::CloseOut => "close out (the bot should exit open positions)",
        }
    }
}

impl fmt::Display for PauseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pause as stored on a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Pause {
    pub mode: PauseMode,
    pub reason: String,
    pub since: DateTime<Utc>,
    /// When it ends by itself; `None`: when someone resumes the pair.
    pub until: Option<DateTime<Utc>>,
}

impl Pause {
    /// Whether it still holds at `now`: a pause ending at `t` holds before `t`, not at it.
    ///
    /// ```
    /// use botconfig::domain::pause::{Pause, PauseMode};
    /// use chrono::{Duration, Utc};
    /// let now = Utc::now();
    /// let pause = Pause { mode: PauseMode::NoNewEntries, reason: "news".into(), since: now, until: Some(now + Duration::hours(1)) };
    /// assert!(pause.in_effect(now + Duration::minutes(59)));
    /// assert!(!pause.in_effect(now + Duration::hours(1)));
    /// ```
    pub fn in_effect(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }

    /// Why the pair does not trade, in words.
    pub fn describe(&self) -> String {
        let until = match self.until {
            Some(until) => format!("until {}", until.format("%Y-%m-%d %H:%M:%S UTC")),
            None => "until resumed".to_owned(),
        };
        format!("paused {until}: {} — {}", self.reason, self.mode.describe())
    }

    /// The time left at `now`, in words ("3 h 59 min"), or `None` for a pause without end.
    pub fn time_left(&self, now: DateTime<Utc>) -> Option<String> {
        let left = self.until? - now;
        Some(format_duration(left.max(Duration::zero())))
    }
}

/// A duration in the largest units that say it: "2 d 4 h", "3 h 59 min", "12 min", "40 s".
pub fn format_duration(d: Duration) -> String {
    let seconds = d.num_seconds();
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    match () {
        _ if days > 0 => format!("{days} d {hours} h"),
        _ if hours > 0 => format!("{hours} h {minutes} min"),
        _ if minutes > 0 => format!("{minutes} min"),
        _ => format!("{seconds} s"),
    }
}

/// The longest pause with an end: a year (longer is "until resumed").
pub const MAX_PAUSE_DAYS: i64 = 366;
pub const MAX_REASON_CHARS: usize = 200;

/// A pause as asked for (the console's form, the CLI, the API), before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    /// How long from now: "90s", "30m", "4h", "2d", or "1h30m".
    #[serde(default, rename = "for")]
    pub duration: Option<String>,
    /// Or when it ends (RFC 3339, e.g. 2026-12-24T18:00:00Z).
    #[serde(default)]
    pub until: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub mode: Option<String>,
}

impl PauseRequest {
    /// The pause starting at `now`, or every field's error at once. Neither `for` nor
    /// `until`: until resumed.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<Pause, ConfigError> {
        let mut errors = FieldErrors::default();
        let reason = self.reason.trim();
        if reason.is_empty() {
            errors.push("reason", "is required: say why the pair is paused");
        } else if reason.chars().count() > MAX_REASON_CHARS {
            errors.push(
                "reason",
                format!("must be at most {MAX_REASON_CHARS} characters"),
            );
        }
        let mode = match self.mode.as_deref().map(str::trim) {
            None | Some("") => Some(PauseMode::NoNewEntries),
            Some(mode) => errors.take(PauseMode::parse(mode)),
        };
        let until = match (non_blank(&self.duration), non_blank(&self.until)) {
            (Some(_), Some(_)) => {
                errors.push("until", "give either a duration or an end time, not both");
                None
            }
            (Some(text), None) => errors
                .take(parse_duration(text).map_err(|m| FieldError::new("for", m)))
                .map(|d| Some(now + d)),
            (None, Some(text)) => errors.take(parse_until(text, now)).map(Some),
            (None, None) => Some(None),
        };
        errors.finish(|| Pause {
            mode: mode.unwrap_or_default(),
            reason: reason.to_owned(),
            since: now,
            until: until.flatten(),
        })
    }
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An end time in RFC 3339, or as the browser's `datetime-local` input sends it (taken as
/// UTC): it must be in the future and within a year.
fn parse_until(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let until = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
                .map(|naive| naive.and_utc())
                .ok_or(())
        })
        .map_err(|_| {
            FieldError::new(
                "until",
                format!("\"{text}\" is not a date and time such as 2026-12-24T18:00:00Z"),
            )
        })?;
    if until <= now {
        return Err(FieldError::new("until", "must be in the future"));
    }
    if until - now > Duration::days(MAX_PAUSE_DAYS) {
        return Err(FieldError::new(
            "until",
            format!("must be within {MAX_PAUSE_DAYS} days (pause until resumed for longer)"),
        ));
    }
    Ok(until)
}

/// "90s", "30m", "4h", "2d", "1h30m": a positive duration of at most a year.
///
/// ```
/// use botconfig::domain::pause::parse_duration;
/// assert_eq!(parse_duration("1h30m").unwrap().num_minutes(), 90);
/// assert!(parse_duration("4 hours").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("\"{text}\" is not a duration such as 90s, 30m, 4h or 2d");
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit = match c {
            's' => Duration::try_seconds(n),
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(&unit).ok_or_else(bad)?;
    }
    if !digits.is_empty() || total <= Duration::zero() {
        return Err(bad());
    }
    if total > Duration::days(MAX_PAUSE_DAYS) {
        return Err(format!(
            "must be at most {MAX_PAUSE_DAYS} days (pause until resumed for longer)"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(duration: Option<&str>, until: Option<&str>, reason: &str) -> PauseRequest {
        PauseRequest {
            duration: duration.map(Into::into),
            until: until.map(Into::into),
            reason: reason.into(),
            mode: None,
        }
    }

    #[test]
    fn a_pause_holds_until_its_end_and_not_at_it() {
        let now = Utc::now();
        let pause = request(Some("4h"), None, "listing news")
            .parse(now)
            .unwrap();
        assert_eq!(pause.until, Some(now + Duration::hours(4)));
        assert_eq!(pause.mode, PauseMode::NoNewEntries);
        let end = pause.until.unwrap();
        assert!(pause.in_effect(end - Duration::milliseconds(1)));
        assert!(!pause.in_effect(end));
        assert!(!pause.in_effect(end + Duration::milliseconds(1)));
        assert_eq!(pause.time_left(now).as_deref(), Some("4 h 0 min"));
    }

    #[test]
    fn without_an_end_a_pause_holds_until_resumed() {
        let pause = request(None, None, "exchange maintenance")
            .parse(Utc::now())
            .unwrap();
        assert_eq!(pause.until, None);
        assert!(pause.in_effect(Utc::now() + Duration::days(3650)));
        assert!(pause.describe().contains("until resumed"));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let now = Utc::now();
        let mut bad = request(Some("4 hours"), None, "  ");
        bad.mode = Some("sell_everything".into());
        let ConfigError::Invalid(errors) = bad.parse(now).unwrap_err() else {
            panic!("not a field error")
        };
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["reason", "mode", "for"]);
        for (until, message) in [
            ("2020-01-01T00:00:00Z", "must be in the future"),
            ("tomorrow", "is not a date and time"),
            ("2099-01-01T00:00:00Z", "within 366 days"),
        ] {
            let err = request(None, Some(until), "x").parse(now).unwrap_err();
            assert!(err.to_string().contains(message), "{until}: {err}");
        }
        let both = request(Some("1h"), Some("2099-01-01T00:00:00Z"), "x").parse(now);
        assert!(both.unwrap_err().to_string().contains("not both"));
        let long = request(Some("1h"), None, &"x".repeat(201)).parse(now);
        assert!(long.unwrap_err().to_string().contains("at most 200"));
    }

    #[test]
    fn the_browsers_local_date_time_is_taken_as_utc() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .to_utc();
        let pause = request(None, Some("2026-12-03T18:30"), "x")
            .parse(now)
            .unwrap();
        assert_eq!(
            pause.until.unwrap().to_rfc3339(),
            "2026-12-03T18:30:00+00:00"
        );
    }

    #[test]
    fn durations_parse_in_their_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::seconds(90));
        assert_eq!(parse_duration("2d").unwrap(), Duration::days(2));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        for bad in [
            "",
            "0h",
            "4",
            "h",
            "-1h",
            "4x",
            "1h 30m",
            "400d",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn durations_read_in_their_largest_units() {
        assert_eq!(format_duration(Duration::seconds(40)), "40 s");
        assert_eq!(format_duration(Duration::minutes(12)), "12 min");
        assert_eq!(format_duration(Duration::minutes(239)), "3 h 59 min");
        assert_eq!(format_duration(Duration::hours(52)), "2 d 4 h");
    }
}
