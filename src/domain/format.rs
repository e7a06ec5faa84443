//! Numbers, sizes, durations and URL queries as people read and write them, for every
//! table, caption and link.

/// A count with thousands separators: 1004 as "1,004".
///
/// ```
/// assert_eq!(botconfig::domain::display::thousands(1_000_000), "1,000,000");
/// assert_eq!(botconfig::domain::display::thousands(999), "999");
/// ```
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A URL's query from its parameters, empty ones left out: `?q=sol%2Fu&page=2`, or "".
pub fn query_string(params: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let parts = params
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>();
    match parts.is_empty() {
        true => String::new(),
        false => format!("?{}", parts.join("&")),
    }
}

/// A size in bytes as people read it: "512 B", "12.3 KiB", "64 MiB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let digits = if value < 100.0 { 1 } else { 0 };
    let text = format!("{value:.digits$}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// A duration in microseconds in the unit its size calls for: "850 µs", "1.2 ms", "2.4 s".
pub fn micros(us: u64) -> String {
    let one = |value: f64, unit: &str| {
        let text = format!("{value:.1}");
        format!("{} {unit}", text.strip_suffix(".0").unwrap_or(&text))
    };
    match us {
        0..1_000 => format!("{us} µs"),
        1_000..1_000_000 => one(us as f64 / 1_000.0, "ms"),
        _ => one(us as f64 / 1_000_000.0, "s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_durations_and_queries_read_as_people_write_them() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(12_595), "12.3 KiB");
        assert_eq!(bytes(64 << 20), "64 MiB");
        assert_eq!(bytes(1536 << 20), "1.5 GiB");
        assert_eq!(micros(850), "850 µs");
        assert_eq!(micros(1_234), "1.2 ms");
        assert_eq!(micros(120_000), "120 ms");
        assert_eq!(micros(2_400_000), "2.4 s");
        assert_eq!(
            query_string(&[("q", "sol/u"), ("state", ""), ("page", "2")]),
            "?q=sol%2Fu&page=2"
        );
        assert_eq!(query_string(&[("q", "")]), "");
    }
}
