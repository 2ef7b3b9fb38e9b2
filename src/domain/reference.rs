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

/// A parsed reference number. Made only by [`Reference::parse`], so its text is always
/// `IIS-<4 digits>-<4 or more digits>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    year: i32,
    sequence: i32,
}

impl Reference {
    pub fn parse(text: &str) -> Option<Self> {
        parse_reference(text).map(|(year, sequence)| Reference { year, sequence })
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_reference(self.year, self.sequence))
    }
}

/// The kinds of document a proposal is downloaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Summary,
    StatusReport,
}

impl ReportKind {
    fn slug(self) -> &'static str {
        match self {
            ReportKind::Summary => "summary",
            ReportKind::StatusReport => "status-report",
        }
    }
}

/// The name a report is downloaded under: `IIS-2026-0042-summary.pdf`, or, before the
/// proposal has a reference, `proposal-<id>-summary.pdf`. Built only from a parsed
/// [`Reference`] or UUID and a fixed kind, never from text a user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn report(reference: Option<Reference>, id: &uuid::Uuid, kind: ReportKind) -> Self {
        let kind = kind.slug();
        FileName(match reference {
            Some(reference) => format!("{reference}-{kind}.pdf"),
            None => format!("proposal-{id}-{kind}.pdf"),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_file_names_carry_the_reference_or_the_id() {
        let reference = Reference::parse("IIS-2026-0001");
        let id = uuid::Uuid::nil();
        assert_eq!(
            FileName::report(reference, &id, ReportKind::Summary).as_str(),
            "IIS-2026-0001-summary.pdf"
        );
        assert_eq!(
            FileName::report(reference, &id, ReportKind::StatusReport).as_str(),
            "IIS-2026-0001-status-report.pdf"
        );
        assert_eq!(
            FileName::report(Reference::parse("—"), &id, ReportKind::Summary).as_str(),
            "proposal-00000000-0000-0000-0000-000000000000-summary.pdf"
        );
    }

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
