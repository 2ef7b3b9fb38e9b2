//! Human reference numbers: `IIS-<year>-<4-digit sequence>`.

pub fn format_reference(year: i32, sequence: i32) -> String {
    format!("IIS-{year}-{sequence:04}")
}

/// Parses `IIS-2026-0042` into (2026, 42).
pub fn parse_reference(text: &str) -> Option<(i32, i32)> {
    let rest = text.trim().strip_prefix("IIS-")?;
    let (year, sequence) = rest.split_once('-')?;
    if year.len() != 4 || sequence.len() < 4 {
        return None;
    }
    if !year
        .bytes()
        .chain(sequence.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((year.parse().ok()?, sequence.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_zero_padded_to_four_digits() {
        assert_eq!(format_reference(2026, 42), "IIS-2026-0042");
        assert_eq!(format_reference(2026, 12345), "IIS-2026-12345");
    }

    #[test]
    fn references_parse_back() {
        assert_eq!(parse_reference("IIS-2026-0042"), Some((2026, 42)));
        assert_eq!(parse_reference("IIS-26-0042"), None);
        assert_eq!(parse_reference("IIS-2026-42"), None);
        assert_eq!(parse_reference("XYZ-2026-0042"), None);
    }
}
