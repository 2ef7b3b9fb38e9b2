//! Line breaking for mixed Japanese / Latin text.
//!
//! Rules, in order:
//! - `'\n'` always ends a line; an empty source line yields an empty output line.
//! - A break is allowed next to a space, and between two characters when either of
//!   them is CJK (kana, kanji, full-width forms, CJK punctuation). Latin words are
//!   never split unless a single word is wider than the line (hard break).
//! - Kinsoku shori (JIS X 4051, simplified): a line never starts with a
//!   line-start-prohibited character (`、。）」ー` small kana, …) and never ends with a
//!   line-end-prohibited one (`（「『【`, …). This is done by *oidashi*: the break point
//!   moves back, so the preceding character is pushed down together with the
//!   offending closer, or the opener is pulled down to the next line. Lines therefore
//!   never exceed `max_width` (no hanging punctuation), except a lone character that is
//!   itself wider than the line.
//! - Spaces at a soft break are dropped (trailing and leading).
//! - DOIs, URLs, identifiers and reference numbers stay on one line: they are runs of Latin
//!   characters, which never break inside; a no-break space (U+00A0) binds like a letter,
//!   and so does the space in a labelled identifier such as `PMID 33301246` or
//!   `DOI: 10.1016/…`. Only a token wider than the whole line is broken, at the overflow
//!   point, as a last resort.

/// Breaks `text` into lines no wider than `max_width`, measuring each character with
/// `measure` (same unit as `max_width`).
pub fn break_lines(text: &str, max_width: f32, measure: impl Fn(char) -> f32) -> Vec<String> {
    let mut out = Vec::new();
    for source_line in text.split('\n') {
        let chars: Vec<char> = source_line
            .chars()
            .filter(|c| *c != '\r')
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|c| !c.is_control())
            .collect();
        let glued = glued_spaces(&chars);
        break_one(&chars, &glued, max_width, &measure, &mut out);
    }
    out
}

/// Labels whose value must not be separated from them by a line break.
const LABELS: [&str; 5] = ["PMID", "PMCID", "DOI", "ORCID", "NCT"];

/// `glued[p]`: no break between `chars[p - 1]` and `chars[p]` although one of them is a
/// space, because the space joins a label to its identifier (`PMID: 33301246`).
fn glued_spaces(chars: &[char]) -> Vec<bool> {
    let mut glued = vec![false; chars.len() + 1];
    for (start, _) in chars.iter().enumerate() {
        let at_word_start = start == 0 || !chars[start - 1].is_alphanumeric();
        if !at_word_start {
            continue;
        }
        for label in LABELS {
            let len = label.chars().count();
            let word = chars.get(start..start + len);
            let matches = word.is_some_and(|w| {
                w.iter()
                    .zip(label.chars())
                    .all(|(a, b)| a.eq_ignore_ascii_case(&b))
            });
            if !matches {
                continue;
            }
            let mut p = start + len;
            if chars.get(p) == Some(&':') {
                p += 1;
            }
            let spaces_from = p;
            while chars.get(p).is_some_and(|c| is_space(*c)) {
                p += 1;
            }
            let value_follows = chars.get(p).is_some_and(|c| c.is_ascii_alphanumeric());
            if p > spaces_from && value_follows {
                for g in &mut glued[spaces_from..=p] {
                    *g = true;
                }
            }
        }
    }
    glued
}

fn break_one(
    chars: &[char],
    glued: &[bool],
    max_width: f32,
    measure: &impl Fn(char) -> f32,
    out: &mut Vec<String>,
) {
    let n = chars.len();
    if n == 0 {
        out.push(String::new());
        return;
    }
    let mut start = 0;
    let mut width = 0.0_f32;
    let mut i = 0;
    while i < n {
        let w = measure(chars[i]);
        if width + w > max_width && i > start {
            let p = find_break(chars, glued, start, i);
            out.push(line_text(&chars[start..p]));
            start = p;
            while start < n && is_space(chars[start]) {
                start += 1;
            }
            if start >= i {
                i = start;
                width = 0.0;
            } else {
                width = chars[start..i].iter().map(|c| measure(*c)).sum();
            }
            continue;
        }
        width += w;
        i += 1;
    }
    if start < n {
        out.push(line_text(&chars[start..n]));
    }
}

/// The break position `p` (the next line starts at `chars[p]`), `start < p <= i`.
fn find_break(chars: &[char], glued: &[bool], start: usize, i: usize) -> usize {
    let legal = |p: &usize| can_break(chars[*p - 1], chars[*p]);
    // Best: a legal break that keeps labelled identifiers together; next best, one between
    // a label and its identifier (the two do not fit on one line together).
    if let Some(p) = (start + 1..=i).rev().filter(legal).find(|&p| !glued[p]) {
        return p;
    }
    if let Some(p) = (start + 1..=i).rev().find(legal) {
        return p;
    }
    // No legal break: the text since `start` is one overlong word (or a run of
    // prohibited characters). Hard-break at the overflow point, still avoiding a
    // prohibited line start / end where there is room to move back.
    let mut p = i;
    while p > start + 1
        && (is_line_start_prohibited(chars[p]) || is_line_end_prohibited(chars[p - 1]))
    {
        p -= 1;
    }
    p
}

fn line_text(chars: &[char]) -> String {
    let end = chars
        .iter()
        .rposition(|c| !is_space(*c))
        .map_or(0, |p| p + 1);
    chars[..end].iter().collect()
}

fn can_break(before: char, after: char) -> bool {
    if is_line_start_prohibited(after) || is_line_end_prohibited(before) {
        return false;
    }
    if is_breaking_space(before) || is_breaking_space(after) {
        return true;
    }
    is_cjk(before) || is_cjk(after)
}

/// Spaces dropped at a soft break and at the end of a line.
fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}'
}

/// A space that allows a break; the no-break space (U+00A0) does not.
fn is_breaking_space(c: char) -> bool {
    c == ' '
}

/// Characters between which a line may break (ideographic scripts and their punctuation).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FFF      // radicals, ideographic description
        | 0x3000..=0x303F    // CJK symbols and punctuation
        | 0x3040..=0x30FF    // hiragana, katakana
        | 0x3100..=0x31FF    // bopomofo, kanbun, katakana phonetic extensions
        | 0x3200..=0x33FF    // enclosed CJK, compatibility (㈱ ㎡ …)
        | 0x3400..=0x4DBF    // ext. A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFE30..=0xFE4F    // compatibility forms
        | 0xFF00..=0xFFEF    // full-width / half-width forms
        | 0x20000..=0x3FFFF  // supplementary ideographic planes
    ) || matches!(
        c,
        '…' | '‥'
            | '※'
            | '〜'
            | '→'
            | '←'
            | '↑'
            | '↓'
            | '○'
            | '●'
            | '◎'
            | '△'
            | '▲'
            | '□'
            | '■'
            | '◆'
            | '◇'
            | '★'
            | '☆'
    )
}

/// Characters that must not begin a line (行頭禁則).
pub(crate) fn is_line_start_prohibited(c: char) -> bool {
    matches!(
        c,
        // closing brackets and quotes
        '）' | '］' | '｝' | '〕' | '〉' | '》' | '」' | '』' | '】' | '〙' | '〗' | '〟' | '’' | '”' | '｠' | '»'
        | ')' | ']' | '}'
        // punctuation
        | '、' | '。' | '，' | '．' | '・' | '：' | '；' | '？' | '！' | '‼' | '⁇' | '⁈' | '⁉'
        | ',' | '.' | ':' | ';' | '?' | '!'
        | '｡' | '｣' | '､' | '･'
        // prolonged sound mark, iteration marks, hyphens
        | 'ー' | 'ｰ' | '゛' | '゜' | 'ヽ' | 'ヾ' | 'ゝ' | 'ゞ' | '々' | '〻' | '‐' | '゠' | '–' | '〜' | '～'
        // small kana
        | 'ぁ' | 'ぃ' | 'ぅ' | 'ぇ' | 'ぉ' | 'っ' | 'ゃ' | 'ゅ' | 'ょ' | 'ゎ' | 'ゕ' | 'ゖ'
        | 'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ッ' | 'ャ' | 'ュ' | 'ョ' | 'ヮ' | 'ヵ' | 'ヶ'
        | 'ㇰ'..='ㇿ'
        | 'ｧ'..='ｯ'
        // units and ellipses
        | '％' | '%' | '‰' | '℃' | '°' | '…' | '‥'
    )
}

/// Characters that must not end a line (行末禁則).
pub(crate) fn is_line_end_prohibited(c: char) -> bool {
    matches!(
        c,
        '（' | '［'
            | '｛'
            | '〔'
            | '〈'
            | '《'
            | '「'
            | '『'
            | '【'
            | '〘'
            | '〖'
            | '〝'
            | '‘'
            | '“'
            | '｟'
            | '«'
            | '('
            | '['
            | '{'
            | '｢'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character is 1 unit wide: widths count characters.
    fn unit(_: char) -> f32 {
        1.0
    }

    /// Full-width characters 1.0, everything else 0.5 (close to a real Japanese font).
    fn half_full(c: char) -> f32 {
        if is_cjk(c) { 1.0 } else { 0.5 }
    }

    #[test]
    fn cjk_breaks_anywhere() {
        let lines = break_lines("あいうえおかきくけこ", 4.0, unit);
        assert_eq!(lines, vec!["あいうえ", "おかきく", "けこ"]);
    }

    #[test]
    fn line_start_prohibited_is_pushed_down_with_previous_char() {
        // Width 4: naive break gives "あいうえ" / "。かき"; the 。 must not start the line,
        // so え goes down with it.
        let lines = break_lines("あいうえ。かき", 4.0, unit);
        assert_eq!(lines, vec!["あいう", "え。かき"]);
        let lines = break_lines("研究計画、検討", 4.0, unit);
        assert_eq!(lines, vec!["研究計", "画、検討"]);
    }

    #[test]
    fn small_kana_and_long_vowel_do_not_start_a_line() {
        let lines = break_lines("あいうきょう", 4.0, unit);
        assert_eq!(lines, vec!["あいう", "きょう"]);
        let lines = break_lines("データベース", 3.0, unit);
        for l in &lines {
            assert!(!l.starts_with('ー'), "{lines:?}");
        }
        assert_eq!(lines.concat(), "データベース");
    }

    #[test]
    fn consecutive_closers_move_together() {
        let lines = break_lines("あいう」。えお", 3.0, unit);
        assert_eq!(lines, vec!["あい", "う」。", "えお"]);
    }

    #[test]
    fn line_end_prohibited_opener_is_pulled_down() {
        // Naive: "あいう「" / "えお」"; the 「 must not end the line.
        let lines = break_lines("あいう「えお」", 4.0, unit);
        assert_eq!(lines, vec!["あいう", "「えお」"]);
        let lines = break_lines("研究費（総額）", 4.0, unit);
        assert_eq!(lines, vec!["研究費", "（総額）"]);
    }

    #[test]
    fn latin_breaks_at_spaces_only() {
        let lines = break_lines("the quick brown fox jumps", 10.0, unit);
        assert_eq!(lines, vec!["the quick", "brown fox", "jumps"]);
        for l in &lines {
            assert!(!l.starts_with(' ') && !l.ends_with(' '));
        }
    }

    #[test]
    fn overlong_word_is_hard_broken() {
        let lines = break_lines("a supercalifragilistic b", 6.0, unit);
        assert_eq!(lines, vec!["a", "superc", "alifra", "gilist", "ic b"]);
    }

    #[test]
    fn mixed_text_breaks_at_script_boundaries_not_inside_words() {
        let text = "本研究はPharmacokineticsを評価する。Phase II study design";
        let lines = break_lines(text, 8.0, half_full);
        for l in &lines {
            let w: f32 = l.chars().map(half_full).sum();
            assert!(w <= 8.0, "{l:?} too wide ({w})");
            assert!(!l.starts_with('。'));
        }
        // Latin words survive intact.
        for word in ["Phase", "II", "study", "design"] {
            assert!(
                lines.iter().any(|l| l.contains(word)),
                "{word} split in {lines:?}"
            );
        }
        // No character is lost except the spaces consumed at soft breaks.
        let joined: String = lines.concat();
        assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn newlines_force_breaks_and_empty_lines_survive() {
        let lines = break_lines("一行目\n\n三行目\n", 100.0, unit);
        assert_eq!(lines, vec!["一行目", "", "三行目", ""]);
    }

    #[test]
    fn never_starts_with_prohibited_in_long_text() {
        let sentence = "本試験は、治験薬の安全性および有効性を評価することを目的とする。";
        let text = sentence.repeat(40);
        for width in [5.0, 7.0, 11.0, 13.0, 17.0, 23.0] {
            let lines = break_lines(&text, width, unit);
            for l in &lines {
                let first = l.chars().next().unwrap();
                let last = l.chars().last().unwrap();
                assert!(!is_line_start_prohibited(first), "width {width}: {l:?}");
                assert!(!is_line_end_prohibited(last), "width {width}: {l:?}");
                assert!(l.chars().count() as f32 <= width);
            }
            assert_eq!(lines.concat(), text);
        }
    }

    #[test]
    fn a_doi_in_a_paragraph_stays_on_one_line() {
        let doi = "10.1016/j.jacc.2020.11.012";
        let text = format!("See the trial results (doi {doi}) for details.");
        let ja = format!("詳しくは試験結果の論文{doi}を参照のこと。");
        // Every width from one that splits the text just inside the DOI up to wider ones.
        for width in 27..45 {
            for text in [&text, &ja] {
                let lines = break_lines(text, width as f32, unit);
                assert!(
                    lines.iter().any(|l| l.contains(doi)),
                    "width {width}: {lines:?}"
                );
            }
        }
        // Wider than the line: broken, as a last resort, and nothing is lost.
        let lines = break_lines(&text, 20.0, unit);
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn a_labelled_identifier_is_not_split_from_its_label() {
        // (text, identifier, the narrowest line the identifier fits on with what binds to it)
        for (text, token, narrowest) in [
            ("published as PMID 33301246 in 2021", "PMID 33301246", 13),
            ("published as PMID: 33301246 in 2021", "PMID: 33301246", 14),
            (
                "published as DOI: 10.1016/j.jacc.2020.11.012 in 2021",
                "DOI: 10.1016/j.jacc.2020.11.012",
                31,
            ),
            ("論文（PMID 33301246）を参照", "PMID 33301246", 15),
        ] {
            for width in narrowest..45 {
                let lines = break_lines(text, width as f32, unit);
                assert!(
                    lines.iter().any(|l| l.contains(token)),
                    "width {width}: {token:?} split in {lines:?}"
                );
            }
        }
        // Too narrow for label and identifier together: the break goes between them.
        let lines = break_lines("PMID: 10.1016/j.jacc.2020.11.012", 28.0, unit);
        assert_eq!(lines, vec!["PMID:", "10.1016/j.jacc.2020.11.012"]);
    }

    #[test]
    fn a_no_break_space_binds() {
        let lines = break_lines("ref IIS-2026-0001\u{a0}summary", 22.0, unit);
        assert_eq!(lines, vec!["ref", "IIS-2026-0001\u{a0}summary"]);
    }

    #[test]
    fn empty_input_gives_one_empty_line() {
        assert_eq!(break_lines("", 10.0, unit), vec![String::new()]);
    }

    #[test]
    fn wide_single_char_still_makes_progress() {
        let lines = break_lines("ああ", 0.5, unit);
        assert_eq!(lines, vec!["あ", "あ"]);
    }
}
