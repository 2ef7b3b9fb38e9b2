//! Parse-don't-validate newtypes for researcher, registry and publication identifiers.
//!
//! A value of one of these types is always in normalised form, so code that holds one
//! never needs to re-check it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused. `code()` is stable and meant for API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} has an invalid format")]
    Format { kind: &'static str },
    #[error("{kind} check digit does not match")]
    CheckDigit { kind: &'static str },
    #[error("{kind} is longer than {max} characters")]
    TooLong { kind: &'static str, max: usize },
}

impl IdentifierError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty { .. } => "empty",
            Self::Format { .. } => "format",
            Self::CheckDigit { .. } => "check_digit",
            Self::TooLong { .. } => "too_long",
        }
    }
}

/// Strips `prefix` from the start of `s`, ignoring ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Trims and refuses empty input; shared first step of every parser.
fn trimmed<'a>(input: &'a str, kind: &'static str) -> Result<&'a str, IdentifierError> {
    let s = input.trim();
    if s.is_empty() {
        Err(IdentifierError::Empty { kind })
    } else {
        Ok(s)
    }
}

/// Declares the shared surface of an identifier newtype; `parse` is written per type.
macro_rules! identifier {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdentifierError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

identifier!(
    /// ORCID iD, normalised to `0000-0002-1825-0097`.
    Orcid
);
identifier!(
    /// ClinicalTrials.gov identifier, normalised to `NCT01234567`.
    NctId
);
identifier!(
    /// Japan Registry of Clinical Trials identifier, e.g. `jRCT2031210123` or `jRCTs031180099`.
    JrctId
);
identifier!(
    /// UMIN Clinical Trials Registry identifier, normalised to `UMIN000012345`.
    UminId
);
identifier!(
    /// DOI without resolver prefix, e.g. `10.1056/NEJMoa2034577`.
    Doi
);
identifier!(
    /// PubMed identifier.
    Pmid
);

impl Orcid {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        const KIND: &str = "ORCID";
        let mut s = trimmed(input, KIND)?;
        for prefix in ["https://orcid.org/", "http://orcid.org/", "orcid.org/"] {
            if let Some(rest) = strip_prefix_ci(s, prefix) {
                s = rest;
                break;
            }
        }
        // Byte positions below assume ASCII; anything else is not an ORCID iD.
        if !s.is_ascii() {
            return Err(IdentifierError::Format { kind: KIND });
        }
        let bytes = s.as_bytes();
        let compact: String = match bytes.len() {
            19 if [4, 9, 14].iter().all(|&i| bytes[i] == b'-') => {
                s.chars().filter(|&c| c != '-').collect()
            }
            16 => s.to_owned(),
            _ => return Err(IdentifierError::Format { kind: KIND }),
        };
        let (body, check) = compact.split_at(15);
        let check = check.to_ascii_uppercase();
        if !all_digits(body) || !(all_digits(&check) || check == "X") {
            return Err(IdentifierError::Format { kind: KIND });
        }
        if !check.starts_with(orcid_check_char(body)) {
            return Err(IdentifierError::CheckDigit { kind: KIND });
        }
        Ok(Self(format!(
            "{}-{}-{}-{}{}",
            &body[0..4],
            &body[4..8],
            &body[8..12],
            &body[12..15],
            check
        )))
    }
}

/// ISO 7064 MOD 11-2 as documented by ORCID; `body` must be 15 ASCII digits.
fn orcid_check_char(body: &str) -> char {
    let total = body
        .bytes()
        .fold(0u32, |total, b| (total + u32::from(b - b'0')) * 2);
    match (12 - total % 11) % 11 {
        10 => 'X',
        // Always < 10 here, so the conversion cannot fail.
        d => char::from_digit(d, 10).unwrap_or('?'),
    }
}

impl NctId {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        const KIND: &str = "NCT number";
        let s = trimmed(input, KIND)?;
        match strip_prefix_ci(s, "NCT") {
            Some(digits) if digits.len() == 8 && all_digits(digits) => {
                Ok(Self(format!("NCT{digits}")))
            }
            _ => Err(IdentifierError::Format { kind: KIND }),
        }
    }
}

impl JrctId {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        const KIND: &str = "jRCT ID";
        let s = trimmed(input, KIND)?;
        let s = strip_prefix_ci(s, "JPRN-").unwrap_or(s);
        let rest = strip_prefix_ci(s, "jRCT").ok_or(IdentifierError::Format { kind: KIND })?;
        let valid = match rest.as_bytes() {
            [first, tail @ ..] if first.is_ascii_lowercase() => {
                tail.len() == 9 && tail.iter().all(u8::is_ascii_digit)
            }
            digits => digits.len() == 10 && digits.iter().all(u8::is_ascii_digit),
        };
        if valid {
            Ok(Self(format!("jRCT{rest}")))
        } else {
            Err(IdentifierError::Format { kind: KIND })
        }
    }
}

impl UminId {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        const KIND: &str = "UMIN ID";
        let s = trimmed(input, KIND)?;
        let s = strip_prefix_ci(s, "JPRN-").unwrap_or(s);
        match strip_prefix_ci(s, "UMIN") {
            Some(digits) if digits.len() == 9 && all_digits(digits) => {
                Ok(Self(format!("UMIN{digits}")))
            }
            _ => Err(IdentifierError::Format { kind: KIND }),
        }
    }
}

impl Doi {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        const KIND: &str = "DOI";
        let mut s = trimmed(input, KIND)?;
        if let Some(rest) = strip_prefix_ci(s, "doi:") {
            s = rest.trim_start();
        } else {
            for prefix in ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/"] {
                if let Some(rest) = strip_prefix_ci(s, prefix) {
                    s = rest;
                    break;
                }
            }
        }
        let format = IdentifierError::Format { kind: KIND };
        let rest = s.strip_prefix("10.").ok_or(format.clone())?;
        let (registrant, suffix) = rest.split_once('/').ok_or(format.clone())?;
        let registrant_ok = (4..=9).contains(&registrant.len()) && all_digits(registrant);
        let suffix_ok = !suffix.is_empty() && !suffix.chars().any(char::is_whitespace);
        if registrant_ok && suffix_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format)
        }
    }
}

impl Pmid {
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        const KIND: &str = "PMID";
        let mut s = trimmed(input, KIND)?;
        // `PMID: 33301246`, `pmid:33301246` and `PMID 33301246` name the same record, as a
        // `doi:` prefix does for a DOI.
        if let Some(rest) = strip_prefix_ci(s, "PMID") {
            let rest = rest.trim_start();
            s = rest.strip_prefix(':').unwrap_or(rest).trim_start();
        }
        if !s.is_empty() && s.len() <= 9 && all_digits(s) && !s.starts_with('0') {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdentifierError::Format { kind: KIND })
        }
    }
}

/// Trial registry a registration number belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    Jrct,
    Nct,
    Umin,
    Other,
}

impl Registry {
    pub const ALL: &'static [Registry] = &[Self::Jrct, Self::Nct, Self::Umin, Self::Other];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Jrct => "jrct",
            Self::Nct => "nct",
            Self::Umin => "umin",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Registry {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = trimmed(s, "registry")?;
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or(IdentifierError::Format { kind: "registry" })
    }
}

/// Longest free-text registration number accepted for `Registry::Other`.
const OTHER_MAX_CHARS: usize = 100;

/// Validates and normalises a registration number for the given registry.
pub fn parse_registry_id(registry: Registry, input: &str) -> Result<String, IdentifierError> {
    match registry {
        Registry::Jrct => JrctId::parse(input).map(String::from),
        Registry::Nct => NctId::parse(input).map(String::from),
        Registry::Umin => UminId::parse(input).map(String::from),
        Registry::Other => {
            const KIND: &str = "registry ID";
            let s = trimmed(input, KIND)?;
            if s.chars().count() > OTHER_MAX_CHARS {
                Err(IdentifierError::TooLong {
                    kind: KIND,
                    max: OTHER_MAX_CHARS,
                })
            } else {
                Ok(s.to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: fmt::Debug>(r: Result<T, IdentifierError>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn valid_orcids_are_accepted_unchanged() {
        for s in [
            "0000-0002-1825-0097",
            "0000-0001-5109-3700",
            "0000-0002-1694-233X",
        ] {
            assert_eq!(Orcid::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn orcid_url_prefixes_are_stripped_case_insensitively() {
        for s in [
            "https://orcid.org/0000-0002-1825-0097",
            "http://orcid.org/0000-0002-1825-0097",
            "orcid.org/0000-0002-1825-0097",
            "  HTTPS://ORCID.ORG/0000-0002-1825-0097 ",
        ] {
            assert_eq!(Orcid::parse(s).unwrap().as_str(), "0000-0002-1825-0097");
        }
    }

    #[test]
    fn orcid_without_hyphens_and_lowercase_x_is_normalised() {
        assert_eq!(
            Orcid::parse("000000021694233x").unwrap().as_str(),
            "0000-0002-1694-233X"
        );
    }

    #[test]
    fn orcid_with_wrong_check_digit_is_refused() {
        assert_eq!(code(Orcid::parse("0000-0002-1825-0098")), "check_digit");
        assert_eq!(code(Orcid::parse("0000-0002-1694-2330")), "check_digit");
    }

    #[test]
    fn orcid_with_wrong_length_or_letters_is_refused() {
        assert_eq!(code(Orcid::parse("0000-0002-1825-009")), "format");
        assert_eq!(code(Orcid::parse("0000-0002-1825-00977")), "format");
        assert_eq!(code(Orcid::parse("0000-000A-1825-0097")), "format");
        assert_eq!(code(Orcid::parse("0000-0002-1825-009Y")), "format");
        assert_eq!(code(Orcid::parse("0000_0002_1825_0097")), "format");
        assert_eq!(code(Orcid::parse("   ")), "empty");
    }

    #[test]
    fn orcid_serialises_as_string_and_deserialises_through_parse() {
        let id = Orcid::parse("orcid.org/0000-0002-1825-0097").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"0000-0002-1825-0097\""
        );
        let back: Orcid = serde_json::from_str("\"0000000218250097\"").unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<Orcid>("\"0000-0002-1825-0098\"").is_err());
    }

    #[test]
    fn nct_prefix_is_case_insensitive_and_normalised() {
        assert_eq!(
            NctId::parse(" nct04368728 ").unwrap().as_str(),
            "NCT04368728"
        );
        assert_eq!(
            "NCT04368728".parse::<NctId>().unwrap().to_string(),
            "NCT04368728"
        );
    }

    #[test]
    fn nct_with_wrong_digit_count_is_refused() {
        assert_eq!(code(NctId::parse("NCT0436872")), "format");
        assert_eq!(code(NctId::parse("NCT043687281")), "format");
        assert_eq!(code(NctId::parse("NCT0436872A")), "format");
        assert_eq!(code(NctId::parse("04368728")), "format");
    }

    #[test]
    fn jrct_numeric_and_letter_variants_are_accepted() {
        assert_eq!(
            JrctId::parse("jRCT2031210123").unwrap().as_str(),
            "jRCT2031210123"
        );
        assert_eq!(
            JrctId::parse("jRCTs031180099").unwrap().as_str(),
            "jRCTs031180099"
        );
    }

    #[test]
    fn jrct_prefix_is_case_insensitive_and_jprn_is_stripped() {
        assert_eq!(
            JrctId::parse("JRCT2031210123").unwrap().as_str(),
            "jRCT2031210123"
        );
        assert_eq!(
            JrctId::parse("jprn-jRCTs031180099").unwrap().as_str(),
            "jRCTs031180099"
        );
    }

    #[test]
    fn malformed_jrct_is_refused() {
        assert_eq!(code(JrctId::parse("jRCT203121012")), "format");
        assert_eq!(code(JrctId::parse("jRCTs0311800991")), "format");
        assert_eq!(code(JrctId::parse("jRCTS031180099")), "format");
        assert_eq!(code(JrctId::parse("UMIN000012345")), "format");
    }

    #[test]
    fn umin_is_normalised_and_jprn_is_stripped() {
        assert_eq!(
            UminId::parse("umin000012345").unwrap().as_str(),
            "UMIN000012345"
        );
        assert_eq!(
            UminId::parse("JPRN-UMIN000012345").unwrap().as_str(),
            "UMIN000012345"
        );
        assert_eq!(code(UminId::parse("UMIN00001234")), "format");
    }

    #[test]
    fn doi_resolver_prefixes_are_stripped_and_suffix_case_kept() {
        for s in [
            "10.1056/NEJMoa2034577",
            "https://doi.org/10.1056/NEJMoa2034577",
            "http://doi.org/10.1056/NEJMoa2034577",
            "https://dx.doi.org/10.1056/NEJMoa2034577",
            "doi:10.1056/NEJMoa2034577",
            "DOI: 10.1056/NEJMoa2034577",
        ] {
            assert_eq!(Doi::parse(s).unwrap().as_str(), "10.1056/NEJMoa2034577");
        }
    }

    #[test]
    fn malformed_doi_is_refused() {
        assert_eq!(code(Doi::parse("10.105/abc")), "format");
        assert_eq!(code(Doi::parse("10.1234567890/abc")), "format");
        assert_eq!(code(Doi::parse("10.1056/")), "format");
        assert_eq!(code(Doi::parse("10.1056/NEJ Moa")), "format");
        assert_eq!(code(Doi::parse("11.1056/abc")), "format");
        assert_eq!(code(Doi::parse("doi:")), "format");
    }

    #[test]
    fn pmid_must_be_one_to_nine_digits_without_leading_zero() {
        assert_eq!(Pmid::parse(" 33301246 ").unwrap().as_str(), "33301246");
        assert_eq!(Pmid::parse("1").unwrap().as_str(), "1");
        assert_eq!(code(Pmid::parse("0123")), "format");
        assert_eq!(code(Pmid::parse("1234567890")), "format");
        assert_eq!(code(Pmid::parse("12a")), "format");
        assert_eq!(code(Pmid::parse("")), "empty");
    }

    #[test]
    fn pmid_labels_are_stripped_like_doi_prefixes() {
        for s in [
            "PMID: 33301246",
            "pmid:33301246",
            "PMID 33301246",
            "PMID:33301246",
            " Pmid :  33301246 ",
        ] {
            assert_eq!(
                Pmid::parse(s).map(|p| p.to_string()),
                Ok("33301246".into()),
                "{s}"
            );
        }
        assert_eq!(code(Pmid::parse("PMID:")), "format");
        assert_eq!(code(Pmid::parse("PMID: 0123")), "format");
        assert_eq!(code(Pmid::parse("PMCID: 123")), "format");
    }

    #[test]
    fn registry_names_round_trip_through_serde_and_from_str() {
        for &r in Registry::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Registry>(&json).unwrap(), r);
            assert_eq!(r.as_str().parse::<Registry>().unwrap(), r);
        }
        assert_eq!(code("clinicaltrials".parse::<Registry>()), "format");
    }

    #[test]
    fn registry_ids_are_validated_by_the_matching_type() {
        assert_eq!(
            parse_registry_id(Registry::Nct, "nct04368728").unwrap(),
            "NCT04368728"
        );
        assert_eq!(
            parse_registry_id(Registry::Jrct, "JRCT2031210123").unwrap(),
            "jRCT2031210123"
        );
        assert_eq!(
            parse_registry_id(Registry::Umin, "JPRN-UMIN000012345").unwrap(),
            "UMIN000012345"
        );
        assert_eq!(
            code(parse_registry_id(Registry::Nct, "UMIN000012345")),
            "format"
        );
    }

    #[test]
    fn other_registry_ids_are_trimmed_text_up_to_one_hundred_chars() {
        assert_eq!(
            parse_registry_id(Registry::Other, "  ISRCTN12345678 ").unwrap(),
            "ISRCTN12345678"
        );
        assert!(parse_registry_id(Registry::Other, &"é".repeat(100)).is_ok());
        assert_eq!(
            code(parse_registry_id(Registry::Other, &"x".repeat(101))),
            "too_long"
        );
        assert_eq!(code(parse_registry_id(Registry::Other, " \t ")), "empty");
    }

    #[test]
    fn non_ascii_orcid_input_is_refused_without_panicking() {
        assert!(Orcid::parse("0000-0002-1825-00é").is_err());
        assert!(Orcid::parse("００００-０００２-１８２５-００９７").is_err());
    }
}
