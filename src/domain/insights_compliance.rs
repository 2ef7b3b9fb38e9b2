//! The compliance check on an insight's text (docs/COMPLIANCE.md#field-insights): restricted
//! words and phrases (promotional claims, sales language, off-label promotion; the defaults
//! below plus the phrases admins add) and patterns that suggest patient-identifying data
//! (patient ids, phone numbers including Japanese formats, dates of birth). Every match is
//! returned with the text as written, so the form can show it next to the field.
//!
//! Matching runs on a folded copy of the text, one character for one character (NFKC of
//! each character where that is a single character, then lower case), so full-width digits
//! and letters match and positions map back to the original text.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

/// Why a phrase is restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestrictedKind {
    /// Promotional claims ("most effective", 副作用がない).
    Promotional,
    /// Sales language (売上, 処方増, market share).
    Sales,
    /// Off-label promotion wording (適応外, off-label).
    OffLabel,
    /// A phrase an admin added for another reason.
    Other,
}

impl RestrictedKind {
    pub const ALL: [RestrictedKind; 4] = [
        RestrictedKind::Promotional,
        RestrictedKind::Sales,
        RestrictedKind::OffLabel,
        RestrictedKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RestrictedKind::Promotional => "promotional",
            RestrictedKind::Sales => "sales",
            RestrictedKind::OffLabel => "off_label",
            RestrictedKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<RestrictedKind> {
        RestrictedKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Promotional,
    Sales,
    OffLabel,
    Other,
    PatientId,
    PhoneNumber,
    DateOfBirth,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Promotional => "promotional",
            MatchKind::Sales => "sales",
            MatchKind::OffLabel => "off_label",
            MatchKind::Other => "other",
            MatchKind::PatientId => "patient_id",
            MatchKind::PhoneNumber => "phone_number",
            MatchKind::DateOfBirth => "date_of_birth",
        }
    }

    /// Whether the match suggests patient-identifying data (as opposed to wording).
    pub fn is_patient_data(self) -> bool {
        matches!(
            self,
            MatchKind::PatientId | MatchKind::PhoneNumber | MatchKind::DateOfBirth
        )
    }
}

impl From<RestrictedKind> for MatchKind {
    fn from(kind: RestrictedKind) -> MatchKind {
        match kind {
            RestrictedKind::Promotional => MatchKind::Promotional,
            RestrictedKind::Sales => MatchKind::Sales,
            RestrictedKind::OffLabel => MatchKind::OffLabel,
            RestrictedKind::Other => MatchKind::Other,
        }
    }
}

/// One match: its kind, the text as written, and where it starts (in characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplianceMatch {
    pub kind: MatchKind,
    /// The matched text exactly as written, e.g. `処方増` or `090-1234-5678`.
    pub phrase: String,
    /// Offset of the match in the checked text, in Unicode scalar values.
    pub start: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RestrictedPhrase {
    pub phrase: String,
    pub kind: RestrictedKind,
}

/// The restricted phrases in force: the defaults, which cannot be removed, and those admins add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceRules {
    pub phrases: Vec<RestrictedPhrase>,
}

/// The defaults, ja and en.
pub const DEFAULT_PHRASES: &[(&str, RestrictedKind)] = &[
    ("売上", RestrictedKind::Sales),
    ("売り上げ", RestrictedKind::Sales),
    ("処方増", RestrictedKind::Sales),
    ("処方拡大", RestrictedKind::Sales),
    ("処方を増や", RestrictedKind::Sales),
    ("拡販", RestrictedKind::Sales),
    ("販促", RestrictedKind::Sales),
    ("販売促進", RestrictedKind::Sales),
    ("シェア拡大", RestrictedKind::Sales),
    ("sales", RestrictedKind::Sales),
    ("revenue", RestrictedKind::Sales),
    ("market share", RestrictedKind::Sales),
    ("increase prescriptions", RestrictedKind::Sales),
    ("prescription uplift", RestrictedKind::Sales),
    ("最も効果的", RestrictedKind::Promotional),
    ("最も安全", RestrictedKind::Promotional),
    ("副作用がない", RestrictedKind::Promotional),
    ("副作用なし", RestrictedKind::Promotional),
    ("確実に効く", RestrictedKind::Promotional),
    ("他社品より優れ", RestrictedKind::Promotional),
    ("most effective", RestrictedKind::Promotional),
    ("safest", RestrictedKind::Promotional),
    ("best-in-class", RestrictedKind::Promotional),
    ("best in class", RestrictedKind::Promotional),
    ("no side effects", RestrictedKind::Promotional),
    ("guaranteed", RestrictedKind::Promotional),
    ("適応外使用を推奨", RestrictedKind::OffLabel),
    ("適応外", RestrictedKind::OffLabel),
    ("承認外", RestrictedKind::OffLabel),
    ("off-label", RestrictedKind::OffLabel),
    ("off label", RestrictedKind::OffLabel),
    ("unapproved indication", RestrictedKind::OffLabel),
];

impl Default for ComplianceRules {
    fn default() -> Self {
        ComplianceRules {
            phrases: DEFAULT_PHRASES
                .iter()
                .map(|(phrase, kind)| RestrictedPhrase {
                    phrase: (*phrase).to_string(),
                    kind: *kind,
                })
                .collect(),
        }
    }
}

impl ComplianceRules {
    /// The defaults plus `added` (admins' phrases; blanks and duplicates ignored).
    pub fn with_added(added: impl IntoIterator<Item = RestrictedPhrase>) -> Self {
        let mut rules = ComplianceRules::default();
        for p in added {
            let folded = fold_str(p.phrase.trim());
            if folded.is_empty() || rules.phrases.iter().any(|q| fold_str(&q.phrase) == folded) {
                continue;
            }
            rules.phrases.push(RestrictedPhrase {
                phrase: p.phrase.trim().to_string(),
                kind: p.kind,
            });
        }
        rules
    }
}

fn fold(c: char) -> char {
    let mut normal = std::iter::once(c).nfkc();
    let single = match (normal.next(), normal.next()) {
        (Some(n), None) => n,
        _ => c,
    };
    let mut lower = single.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => single,
    }
}

fn fold_str(text: &str) -> Vec<char> {
    text.chars().map(fold).collect()
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Every match in `text`, in order of position; overlapping matches keep the longer one.
pub fn check(rules: &ComplianceRules, text: &str) -> Vec<ComplianceMatch> {
    let original: Vec<char> = text.chars().collect();
    let folded: Vec<char> = original.iter().map(|c| fold(*c)).collect();
    // (start, end, kind)
    let mut spans: Vec<(usize, usize, MatchKind)> = Vec::new();
    for p in &rules.phrases {
        let needle = fold_str(p.phrase.trim());
        for (start, end) in find_all(&folded, &needle) {
            spans.push((start, end, p.kind.into()));
        }
    }
    spans.extend(patient_ids(&folded));
    spans.extend(phone_numbers(&folded));
    spans.extend(dates_of_birth(&folded));
    // Longest first, then drop any span overlapping one already kept.
    spans.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    let mut kept: Vec<(usize, usize, MatchKind)> = Vec::new();
    for span in spans {
        if !kept.iter().any(|k| span.0 < k.1 && k.0 < span.1) {
            kept.push(span);
        }
    }
    kept.sort_by_key(|k| k.0);
    kept.into_iter()
        .map(|(start, end, kind)| ComplianceMatch {
            kind,
            phrase: original[start..end].iter().collect(),
            start,
        })
        .collect()
}

/// Occurrences of `needle`; a needle that starts or ends with a Latin letter or digit only
/// matches at word boundaries (so `sales` does not flag `wholesalers`).
fn find_all(hay: &[char], needle: &[char]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    if needle.is_empty() || needle.len() > hay.len() {
        return found;
    }
    let (head_word, tail_word) = (
        needle.first().is_some_and(|c| is_word(*c)),
        needle.last().is_some_and(|c| is_word(*c)),
    );
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        let end = i + needle.len();
        let bounded = (!head_word || i == 0 || !is_word(hay[i - 1]))
            && (!tail_word || end == hay.len() || !is_word(hay[end]));
        if hay[i..end] == *needle && bounded {
            found.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

fn starts_with_at(hay: &[char], at: usize, word: &str) -> Option<usize> {
    let w: Vec<char> = word.chars().collect();
    (at + w.len() <= hay.len() && hay[at..at + w.len()] == *w).then_some(at + w.len())
}

const PATIENT_ID_KEYWORDS: &[&str] = &[
    "患者id",
    "患者番号",
    "患者no",
    "カルテ番号",
    "カルテno",
    "診察券番号",
    "patient id",
    "patient no",
    "patient number",
    "patient #",
    "medical record number",
    "mrn",
    "id",
];

/// A keyword such as 患者ID / カルテ番号 / MRN followed (after a few separators) by an
/// identifier with at least three digits.
fn patient_ids(text: &[char]) -> Vec<(usize, usize, MatchKind)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let hit = PATIENT_ID_KEYWORDS.iter().find_map(|k| {
            let end = starts_with_at(text, i, k)?;
            let ascii_word = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if ascii_word && i > 0 && is_word(text[i - 1]) {
                return None;
            }
            Some(end)
        });
        let Some(mut j) = hit else {
            i += 1;
            continue;
        };
        let mut skipped = 0;
        while j < text.len()
            && skipped < 4
            && matches!(text[j], ' ' | ':' | '#' | '.' | '=' | 'は' | '、')
        {
            j += 1;
            skipped += 1;
        }
        let id_start = j;
        while j < text.len() && (text[j].is_ascii_alphanumeric() || text[j] == '-') {
            j += 1;
        }
        let digits = text[id_start..j]
            .iter()
            .filter(|c| c.is_ascii_digit())
            .count();
        if digits >= 3 {
            spans.push((i, j, MatchKind::PatientId));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

fn is_phone_separator(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '–' | '−' | ' ' | '(' | ')' | '.')
}

/// Phone numbers: `+` and 10–15 digits; Japanese numbers (a leading 0 and 10 or 11 digits:
/// 03-1234-5678, 090-1234-5678, 0120-123-456, 0312345678); and 3-3-4 groups ((555) 123-4567).
fn phone_numbers(text: &[char]) -> Vec<(usize, usize, MatchKind)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let starts = (text[i] == '+' || text[i] == '(' || text[i].is_ascii_digit())
            && (i == 0 || !(is_word(text[i - 1]) || text[i - 1] == '-'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut last_digit = text[i].is_ascii_digit().then_some(i);
        while j < text.len() && (text[j].is_ascii_digit() || is_phone_separator(text[j])) {
            if text[j].is_ascii_digit() {
                last_digit = Some(j);
            }
            j += 1;
        }
        let Some(last) = last_digit else {
            i += 1;
            continue;
        };
        let end = last + 1;
        let run = &text[i..end];
        let digits: String = run.iter().filter(|c| c.is_ascii_digit()).collect();
        let groups: Vec<usize> = run
            .split(|c| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .map(<[char]>::len)
            .collect();
        let international = text[i] == '+' && (10..=15).contains(&digits.len());
        let japanese = digits.starts_with('0')
            && (10..=11).contains(&digits.len())
            && groups.len() <= 4
            && groups.iter().all(|g| *g >= 2 || groups.len() == 1);
        let north_american = groups == [3, 3, 4];
        if international || japanese || north_american {
            spans.push((i, end, MatchKind::PhoneNumber));
            i = end;
        } else {
            i = j.max(i + 1);
        }
    }
    spans
}

const BIRTH_KEYWORDS_BEFORE: &[&str] = &[
    "生年月日",
    "誕生日",
    "date of birth",
    "birth date",
    "birthdate",
    "d.o.b.",
    "dob",
    "born on",
    "born",
];
const BIRTH_SUFFIXES: &[&str] = &["生まれ", "生"];
const ERAS: &[&str] = &["明治", "大正", "昭和", "平成", "令和"];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// Dates of birth: a date with a birth keyword just before it (生年月日: 1960年4月1日,
/// DOB 1960-04-01, born on 1 April 1960) or 生まれ just after it (昭和35年4月1日生まれ).
fn dates_of_birth(text: &[char]) -> Vec<(usize, usize, MatchKind)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let Some(end) = date_at(text, i) else {
            i += 1;
            continue;
        };
        let before_start = i.saturating_sub(16);
        let before: String = text[before_start..i].iter().collect();
        let keyword_start = BIRTH_KEYWORDS_BEFORE.iter().find_map(|k| {
            before.rfind(k).map(|byte| {
                let chars_before = before[..byte].chars().count();
                before_start + chars_before
            })
        });
        let mut after = end;
        while after < text.len() && text[after] == ' ' {
            after += 1;
        }
        let suffix_end = BIRTH_SUFFIXES
            .iter()
            .find_map(|s| starts_with_at(text, after, s));
        match (keyword_start, suffix_end) {
            (Some(start), _) => {
                spans.push((start, suffix_end.unwrap_or(end), MatchKind::DateOfBirth))
            }
            (None, Some(stop)) => spans.push((i, stop, MatchKind::DateOfBirth)),
            (None, None) => {}
        }
        i = end;
    }
    spans
}

fn digits_at(text: &[char], at: usize, max: usize) -> Option<(usize, usize)> {
    let mut j = at;
    while j < text.len() && j - at < max && text[j].is_ascii_digit() {
        j += 1;
    }
    (j > at).then(|| {
        let value = text[at..j].iter().collect::<String>().parse().unwrap_or(0);
        (value, j)
    })
}

fn skip_spaces(text: &[char], mut at: usize) -> usize {
    while at < text.len() && text[at] == ' ' {
        at += 1;
    }
    at
}

/// The end of a date starting at `at`: `1960-04-01`, `1960/4/1`, `1960年4月1日`,
/// `昭和35年4月1日`, `01/04/1960`, `1 April 1960`, `April 1, 1960`.
fn date_at(text: &[char], at: usize) -> Option<usize> {
    if at > 0 && text[at - 1].is_ascii_digit() {
        return None;
    }
    // Era: 昭和35年4月1日 (元年 for the first year).
    if let Some(after_era) = ERAS.iter().find_map(|e| starts_with_at(text, at, e)) {
        let j = skip_spaces(text, after_era);
        let j = starts_with_at(text, j, "元").or_else(|| digits_at(text, j, 2).map(|d| d.1))?;
        return japanese_month_day(text, starts_with_at(text, j, "年")?);
    }
    // English: 1 April 1960.
    if let Some((day, j)) = digits_at(text, at, 2) {
        let k = skip_spaces(text, j);
        if k > j
            && let Some(m) = MONTHS.iter().find_map(|m| starts_with_at(text, k, m))
        {
            let y = skip_spaces(text, m);
            if let Some((_, end)) = digits_at(text, y, 4).filter(|(year, _)| *year >= 1000)
                && (1..=31).contains(&day)
            {
                return Some(end);
            }
        }
    }
    // English: April 1, 1960.
    if let Some(m) = MONTHS.iter().find_map(|m| starts_with_at(text, at, m))
        && (at == 0 || !is_word(text[at - 1]))
    {
        let d = skip_spaces(text, m);
        let (day, j) = digits_at(text, d, 2)?;
        let mut y = j;
        if y < text.len() && text[y] == ',' {
            y += 1;
        }
        let y = skip_spaces(text, y);
        let (year, end) = digits_at(text, y, 4)?;
        return ((1..=31).contains(&day) && year >= 1000).then_some(end);
    }
    // Numeric forms.
    let (first, j) = digits_at(text, at, 4)?;
    let first_len = j - at;
    let sep = *text.get(j)?;
    if sep == '年' && first_len == 4 {
        return japanese_month_day(text, j + 1);
    }
    if !matches!(sep, '-' | '/' | '.') {
        return None;
    }
    let (second, k) = digits_at(text, j + 1, 2)?;
    if text.get(k) != Some(&sep) {
        return None;
    }
    let (third, end) = digits_at(text, k + 1, 4)?;
    let third_len = end - k - 1;
    let valid = if first_len == 4 {
        (1..=12).contains(&second) && (1..=31).contains(&third) && third_len <= 2
    } else {
        third_len == 4 && first <= 31 && second <= 31 && first > 0 && second > 0
    };
    (valid && !text.get(end).is_some_and(|c| c.is_ascii_digit())).then_some(end)
}

fn japanese_month_day(text: &[char], at: usize) -> Option<usize> {
    let (month, j) = digits_at(text, skip_spaces(text, at), 2)?;
    let j = starts_with_at(text, j, "月")?;
    let (day, k) = digits_at(text, skip_spaces(text, j), 2)?;
    let end = starts_with_at(text, k, "日")?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(MatchKind, String)> {
        check(&ComplianceRules::default(), text)
            .into_iter()
            .map(|m| (m.kind, m.phrase))
            .collect()
    }

    #[test]
    fn sales_promotional_and_off_label_wording_is_found_in_both_languages() {
        assert_eq!(
            found("先生は売上よりも処方増の話をした"),
            vec![
                (MatchKind::Sales, "売上".to_string()),
                (MatchKind::Sales, "処方増".to_string())
            ]
        );
        assert_eq!(
            found("He said it is the SAFEST option and asked about Off-Label use."),
            vec![
                (MatchKind::Promotional, "SAFEST".to_string()),
                (MatchKind::OffLabel, "Off-Label".to_string())
            ]
        );
        assert_eq!(
            found("適応外使用を推奨された"),
            vec![(MatchKind::OffLabel, "適応外使用を推奨".to_string())]
        );
        // Word boundaries for Latin phrases; none in Japanese.
        assert!(found("Wholesalers are slow").is_empty());
        assert_eq!(
            found("全角のＳＡＬＥＳ"),
            vec![(MatchKind::Sales, "ＳＡＬＥＳ".to_string())]
        );
    }

    #[test]
    fn admins_add_phrases_to_the_defaults() {
        let rules = ComplianceRules::with_added([
            RestrictedPhrase {
                phrase: " 独占 ".into(),
                kind: RestrictedKind::Other,
            },
            RestrictedPhrase {
                phrase: "売上".into(),
                kind: RestrictedKind::Other,
            },
            RestrictedPhrase {
                phrase: "  ".into(),
                kind: RestrictedKind::Other,
            },
        ]);
        assert_eq!(rules.phrases.len(), DEFAULT_PHRASES.len() + 1);
        let m = check(&rules, "市場を独占");
        assert_eq!(
            (m[0].kind, m[0].phrase.as_str(), m[0].start),
            (MatchKind::Other, "独占", 3)
        );
    }

    #[test]
    fn patient_ids_are_found_after_their_keyword() {
        assert_eq!(
            found("患者ID: A123456 の症例"),
            vec![(MatchKind::PatientId, "患者ID: A123456".to_string())]
        );
        assert_eq!(
            found("カルテ番号は 0098123"),
            vec![(MatchKind::PatientId, "カルテ番号は 0098123".to_string())]
        );
        assert_eq!(
            found("MRN 7781234 was mentioned"),
            vec![(MatchKind::PatientId, "MRN 7781234".to_string())]
        );
        // Not an id: too few digits, or "id" inside a word.
        assert!(found("患者IDは不明").is_empty());
        assert!(found("Valid 12345 data").is_empty());
    }

    #[test]
    fn phone_numbers_in_japanese_and_international_formats() {
        for (text, phone) in [
            ("連絡先 03-1234-5678 まで", "03-1234-5678"),
            ("携帯 090-1234-5678", "090-1234-5678"),
            (
                "携帯 ０９０－１２３４－５６７８",
                "０９０－１２３４－５６７８",
            ),
            ("フリーダイヤル0120-123-456", "0120-123-456"),
            ("tel 09012345678", "09012345678"),
            ("call +81 3 1234 5678 today", "+81 3 1234 5678"),
            ("(03) 1234-5678", "(03) 1234-5678"),
            ("US (555) 123-4567", "(555) 123-4567"),
        ] {
            assert_eq!(
                found(text),
                vec![(MatchKind::PhoneNumber, phone.to_string())],
                "{text}"
            );
        }
        // Dates, counts and sample sizes are not phone numbers.
        for text in [
            "2026-11-25に訪問",
            "症例数 120 例",
            "eGFR 45.2 から 40.1",
            "NCT01234567",
        ] {
            assert!(found(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn dates_of_birth_need_a_birth_keyword_or_suffix() {
        for (text, phrase) in [
            ("生年月日 1960年4月1日 の患者", "生年月日 1960年4月1日"),
            ("昭和35年4月1日生まれの女性", "昭和35年4月1日生まれ"),
            ("DOB: 1960-04-01", "DOB: 1960-04-01"),
            ("born on 1 April 1960", "born on 1 April 1960"),
            ("date of birth April 1, 1960", "date of birth April 1, 1960"),
            ("誕生日は01/04/1960", "誕生日は01/04/1960"),
        ] {
            assert_eq!(
                found(text),
                vec![(MatchKind::DateOfBirth, phrase.to_string())],
                "{text}"
            );
        }
        // A date on its own is an event date.
        assert!(found("2026年11月25日の学会で").is_empty());
        assert!(found("visited on April 1, 2026").is_empty());
    }

    #[test]
    fn positions_count_characters_and_matches_come_in_order() {
        let m = check(
            &ComplianceRules::default(),
            "ＭＲでなく売上、電話 03-1234-5678",
        );
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].start, m[0].phrase.as_str()), (5, "売上"));
        assert_eq!(m[1].kind, MatchKind::PhoneNumber);
        assert!(m[1].kind.is_patient_data() && !m[0].kind.is_patient_data());
    }
}
