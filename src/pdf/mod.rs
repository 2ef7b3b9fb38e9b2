//! PDF typesetting: a small flow-layout engine on printpdf's low-level operations.
//!
//! One font, IPAex Gothic, covers Japanese and Latin text; it is compiled into the binary
//! and subset into each PDF. Layout ([`layout`]) is a pure function from a [`Document`]
//! to positioned lines; drawing happens in a second pass once the page count is known,
//! so page labels can read "1 / 3 ページ" / "Page 1 of 3".
//!
//! Entry point: [`render`] (`Document` in, PDF bytes out). [`break_lines`] is the
//! line breaker (Latin at spaces, CJK anywhere, kinsoku shori), public for reuse.

mod layout;
mod linebreak;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use printpdf::{
    Codepoint, Color, FontId, Line, LinePoint, Mm, OffsetDateTime, Op, ParsedFont, PdfDocument,
    PdfFontHandle, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

pub use linebreak::break_lines;

use layout::{Item, Tone};

/// IPAex Gothic 004.01 (IPA Font License v1.0), see `assets/fonts/README.md`.
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/ipaexg.ttf");

/// A document to typeset.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Drawn small at the top of every page, e.g. "IIS-2026-0042 · 研究提案書サマリー".
    pub running_header: String,
    /// Large title on page 1 (wraps).
    pub title: String,
    /// Optional line under the title, e.g. a status line.
    pub subtitle: Option<String>,
    pub blocks: Vec<Block>,
    /// Drawn bottom-left on every page, e.g. "作成日 2026-11-25 / Generated 2026-11-25".
    pub footer_note: String,
    /// How page numbers read (bottom-right).
    pub page_label: PageLabel,
    /// The file's metadata (document information dictionary and catalog).
    pub info: Info,
}

/// What a PDF says about itself: `/Title`, `/Author` and the catalog's `/Lang`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// e.g. "IIS-2026-0042 日本人2型糖尿病患者における…".
    pub title: String,
    pub author: String,
    /// BCP 47 tag of the text, `ja` or `en`; omitted when empty.
    pub lang: String,
}

/// Page number style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLabel {
    /// "1 / 3 ページ"
    Japanese,
    /// "Page 1 of 3"
    English,
}

/// A unit of body content.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Section heading; kept on the same page as the start of the next block.
    Heading(String),
    /// Wrapped text; `'\n'` forces a line break, empty lines are kept as spacing.
    Paragraph(String),
    /// Label/value pairs in two columns (label ~30% of the width); values wrap.
    Fields(Vec<(String, String)>),
    /// Table with wrapping cells; the header row repeats after a page break.
    /// `widths` are relative column widths (equal widths if missing or invalid);
    /// `right_align[i]` right-aligns column `i` (e.g. amounts).
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
        widths: Vec<f32>,
        right_align: Vec<bool>,
    },
    /// Vertical space in millimetres.
    Spacer(f32),
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font could not be parsed: {0}")]
    Font(String),
    #[error("PDF serialization failed: {0}")]
    Serialize(String),
}

struct Font {
    parsed: ParsedFont,
    units_per_em: f32,
}

impl Font {
    /// Glyph id of `c` (`.notdef` when the font lacks it) and its advance in ems.
    fn glyph(&self, c: char) -> (u16, f32) {
        let gid = self.parsed.lookup_glyph_index(u32::from(c)).unwrap_or(0);
        (
            gid,
            f32::from(self.parsed.get_horizontal_advance(gid)) / self.units_per_em,
        )
    }

    #[cfg(test)]
    fn em(&self, c: char) -> f32 {
        self.glyph(c).1
    }
}

/// Per-render memo of [`Font::glyph`]: the font's cmap lookup is a linear scan and
/// showed up as the top item in profiles.
struct Glyphs<'f> {
    font: &'f Font,
    memo: RefCell<HashMap<char, (u16, f32)>>,
}

impl Glyphs<'_> {
    fn get(&self, c: char) -> (u16, f32) {
        *self
            .memo
            .borrow_mut()
            .entry(c)
            .or_insert_with(|| self.font.glyph(c))
    }
}

/// The parsed font, shared by all renders (parsing 6 MB once, not per document).
fn font() -> Result<&'static Font, PdfError> {
    static FONT: OnceLock<Result<Font, String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(FONT_BYTES, 0, &mut warnings)
            .ok_or_else(|| format!("IPAex Gothic: {warnings:?}"))?;
        let units_per_em = f32::from(parsed.font_metrics.units_per_em);
        if units_per_em <= 0.0 {
            return Err("IPAex Gothic: units per em is zero".to_string());
        }
        Ok(Font {
            parsed,
            units_per_em,
        })
    })
    .as_ref()
    .map_err(|e| PdfError::Font(e.clone()))
}

/// Typesets `doc` as an A4 PDF with the font subset-embedded.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let font = font()?;
    let glyphs = Glyphs {
        font,
        memo: RefCell::new(HashMap::new()),
    };
    let em = |c: char| glyphs.get(c).1;
    let pages = layout::layout(doc, &em);
    let total = pages.len();

    let mut pdf = PdfDocument::new(&doc.info.title);
    let now = OffsetDateTime::now();
    pdf.metadata.info.creation_date = now;
    pdf.metadata.info.modification_date = now;
    pdf.metadata.info.metadata_date = now;
    pdf.metadata.info.author = doc.info.author.clone();
    pdf.metadata.info.creator = "Liaison".to_string();
    pdf.metadata.info.producer = "Liaison (printpdf)".to_string();
    let font_id = pdf.add_font(&font.parsed);
    let pdf_pages = pages
        .into_iter()
        .enumerate()
        .map(|(i, page)| {
            let mut items = layout::furniture(doc, i + 1, total, &em);
            items.extend(page.items);
            PdfPage::new(Mm(210.0), Mm(297.0), draw(&items, &font_id, &glyphs))
        })
        .collect();
    pdf.with_pages(pdf_pages);

    let mut warnings = Vec::new();
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..Default::default()
    };
    let mut file = pdf.to_lopdf_document(&options, &mut warnings);
    // printpdf reports problems as warnings; error-level ones (e.g. text drawn outside
    // BT/ET, colours out of range) mean a bug in `draw`, so do not hand out the file.
    let errors: Vec<&str> = warnings
        .iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg.as_str())
        .collect();
    if !errors.is_empty() {
        return Err(PdfError::Serialize(errors.join("; ")));
    }
    finish_metadata(&mut file, &doc.info)?;
    if options.optimize {
        file.compress();
    }
    let mut bytes = Vec::new();
    file.save_to(&mut bytes)
        .map_err(|e| PdfError::Serialize(e.to_string()))?;
    if bytes.is_empty() {
        return Err(PdfError::Serialize(
            "printpdf produced no output".to_string(),
        ));
    }
    Ok(bytes)
}

/// What printpdf cannot be told: it writes `/GTS_PDFXVersion` into every document
/// information dictionary, empty when no conformance is chosen, which claims a PDF/X
/// version the file does not have; and it has no `/Lang`.
fn finish_metadata(file: &mut lopdf::Document, info: &Info) -> Result<(), PdfError> {
    let fail = |e: lopdf::Error| PdfError::Serialize(format!("metadata: {e}"));
    let info_id = file
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .map_err(fail)?;
    let dictionary = file.get_dictionary_mut(info_id).map_err(fail)?;
    dictionary.remove(b"GTS_PDFXVersion");
    // Empty entries say nothing; leave them out.
    for key in [&b"Identifier"[..], b"Keywords", b"Subject"] {
        let empty = match dictionary.get(key) {
            Ok(lopdf::Object::String(bytes, _)) => bytes.is_empty() || bytes == b"\xfe\xff",
            _ => false,
        };
        if empty {
            dictionary.remove(key);
        }
    }
    if !info.lang.is_empty() {
        file.catalog_mut()
            .map_err(fail)?
            .set("Lang", lopdf::Object::string_literal(info.lang.as_str()));
    }
    Ok(())
}

fn color(tone: Tone) -> Color {
    let (r, g, b) = match tone {
        Tone::Text => (0.10, 0.10, 0.10),
        Tone::Accent => (0.08, 0.20, 0.40),
        Tone::Muted => (0.40, 0.40, 0.40),
        Tone::Rule => (0.35, 0.35, 0.35),
        Tone::Hairline => (0.75, 0.75, 0.75),
    };
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

/// Content-stream operations for one page. Layout `y` runs down from the top edge;
/// PDF `y` runs up from the bottom.
fn draw(items: &[Item], font_id: &FontId, glyphs: &Glyphs<'_>) -> Vec<Op> {
    let mut ops = Vec::with_capacity(items.len() * 6);
    for item in items {
        match item {
            Item::Text {
                x,
                baseline,
                size,
                text,
                tone,
            } => {
                ops.push(Op::StartTextSection);
                ops.push(Op::SetFont {
                    font: PdfFontHandle::External(font_id.clone()),
                    size: Pt(*size),
                });
                ops.push(Op::SetFillColor { col: color(*tone) });
                ops.push(Op::SetTextCursor {
                    pos: Point {
                        x: Pt(*x),
                        y: Pt(layout::PAGE_H - baseline),
                    },
                });
                // Glyph ids rather than `TextItem::Text`: printpdf would look every character
                // up in the cmap twice more. `cid` carries the text for /ToUnicode.
                let codepoints = text
                    .chars()
                    .map(|c| Codepoint {
                        gid: glyphs.get(c).0,
                        offset: 0.0,
                        cid: Some(c.to_string()),
                    })
                    .collect();
                ops.push(Op::ShowText {
                    items: vec![TextItem::GlyphIds(codepoints)],
                });
                ops.push(Op::EndTextSection);
            }
            Item::Rule {
                x1,
                x2,
                y,
                width,
                tone,
            } => {
                let y = Pt(layout::PAGE_H - y);
                let point = |x: f32| LinePoint {
                    p: Point { x: Pt(x), y },
                    bezier: false,
                };
                ops.push(Op::SetOutlineColor { col: color(*tone) });
                ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![point(*x1), point(*x2)],
                        is_closed: false,
                    },
                });
            }
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document {
            running_header: "IIS-2026-0042 · 研究提案書サマリー".into(),
            title: "2型糖尿病患者におけるSGLT2阻害薬の腎保護効果に関する多施設共同研究".into(),
            subtitle: Some("ステータス：委員会審査中 / Status: under committee review".into()),
            blocks: vec![
                Block::Heading("1. 研究概要 / Study overview".into()),
                Block::Paragraph(
                    "本研究は、2型糖尿病を合併する慢性腎臓病患者を対象に、SGLT2阻害薬の投与が\
                     推算糸球体濾過量（eGFR）の低下速度に与える影響を評価する。\n\
                     This investigator-initiated study evaluates the effect of SGLT2 inhibition on the \
                     rate of eGFR decline in patients with type 2 diabetes and chronic kidney disease."
                        .into(),
                ),
                Block::Heading("2. 基本情報 / Key facts".into()),
                Block::Fields(vec![
                    ("研究責任医師 / Principal investigator".into(), "山田 太郎（東京医科大学 腎臓内科）".into()),
                    ("実施医療機関数 / Sites".into(), "12".into()),
                    (
                        "主要評価項目 / Primary endpoint".into(),
                        "投与開始から104週時点までのeGFR年間変化量 (mL/min/1.73m²/year)".into(),
                    ),
                ]),
                Block::Heading("3. 予算 / Budget".into()),
                Block::Table {
                    headers: vec!["費目 / Item".into(), "金額（円） / Amount (JPY)".into()],
                    rows: vec![
                        vec!["人件費 / Personnel".into(), "12,000,000".into()],
                        vec!["データマネジメント / Data management".into(), "4,500,000".into()],
                        vec!["合計 / Total".into(), "16,500,000".into()],
                    ],
                    widths: vec![3.0, 1.0],
                    right_align: vec![false, true],
                },
                Block::Spacer(4.0),
                Block::Heading("4. 備考 / Notes".into()),
                Block::Paragraph("特記事項なし。\n\nNo further remarks.".into()),
            ],
            footer_note: "作成日 2026-11-25 / Generated 2026-11-25".into(),
            page_label: PageLabel::Japanese,
            info: Info::default(),
        }
    }

    fn extract(pdf: &[u8]) -> String {
        pdf_extract::extract_text_from_mem(pdf).expect("text extraction")
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn em(c: char) -> f32 {
        font().expect("font").em(c)
    }

    #[test]
    fn japanese_and_english_document_renders_with_extractable_text() {
        let doc = sample();
        let pdf = render(&doc).expect("render");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = squash(&extract(&pdf));
        // The title may wrap; compare without whitespace.
        assert!(
            text.contains(&squash(&doc.title)),
            "title missing in {text}"
        );
        for block in &doc.blocks {
            if let Block::Heading(h) = block {
                assert!(text.contains(&squash(h)), "heading {h:?} missing in {text}");
            }
        }
        assert!(text.contains("16,500,000"));
        assert!(text.contains("1/1ページ"));
        assert!(text.contains("IIS-2026-0042"));
    }

    #[test]
    fn typical_document_is_small() {
        let pdf = render(&sample()).expect("render");
        assert!(pdf.len() < 200 * 1024, "{} bytes", pdf.len());
    }

    fn long_doc(label: PageLabel) -> Document {
        let sentence = "本治験は、被験者の安全性を最優先として、治験実施計画書に従い適切に実施されなければならない。";
        Document {
            running_header: "IIS-2026-0042 · 研究提案書サマリー".into(),
            title: "長文テスト".into(),
            subtitle: None,
            blocks: vec![
                Block::Heading("本文".into()),
                Block::Paragraph(sentence.repeat(200)),
            ],
            footer_note: "作成日 2026-11-25".into(),
            page_label: label,
            info: Info::default(),
        }
    }

    #[test]
    fn long_paragraph_flows_onto_several_pages_with_labels() {
        let doc = long_doc(PageLabel::Japanese);
        let n = layout::layout(&doc, &em).len();
        assert!(n >= 2, "only {n} page(s)");
        let pdf = render(&doc).expect("render");
        let text = extract(&pdf);
        for page in 1..=n {
            let label = format!("{page} / {n} ページ");
            assert!(text.contains(&label), "{label:?} missing");
        }
        assert!(!text.contains(&format!("{} / {n}", n + 1)));

        let text = extract(&render(&long_doc(PageLabel::English)).expect("render"));
        assert!(
            text.contains(&format!("Page 1 of {n}")) && text.contains(&format!("Page {n} of {n}"))
        );
    }

    #[test]
    fn no_laid_out_line_starts_with_closing_punctuation() {
        for doc in [long_doc(PageLabel::Japanese), sample()] {
            for page in layout::layout(&doc, &em) {
                for line in page.lines() {
                    assert!(
                        !line.starts_with('。') && !line.starts_with('、'),
                        "{line:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_document_renders_one_page() {
        let doc = Document {
            running_header: String::new(),
            title: String::new(),
            subtitle: None,
            blocks: vec![],
            footer_note: String::new(),
            page_label: PageLabel::English,
            info: Info::default(),
        };
        let text = extract(&render(&doc).expect("render"));
        assert!(text.contains("Page 1 of 1"));
    }

    #[test]
    fn the_file_names_its_title_author_and_language_and_claims_no_pdf_x() {
        let mut doc = sample();
        doc.info = Info {
            title: "IIS-2026-0042 腎保護効果の検討".into(),
            author: "山田 太郎".into(),
            lang: "ja".into(),
        };
        let pdf = render(&doc).expect("render");
        let file = lopdf::Document::load_mem(&pdf).expect("parse");
        let info_id = file
            .trailer
            .get(b"Info")
            .and_then(lopdf::Object::as_reference)
            .expect("/Info");
        let info = file.get_dictionary(info_id).expect("info dictionary");
        assert!(info.get(b"GTS_PDFXVersion").is_err(), "{info:?}");
        let text = |key: &[u8]| {
            info.get(key)
                .and_then(lopdf::Object::as_str)
                .map(|bytes| {
                    let units: Vec<u16> = bytes
                        .strip_prefix(b"\xfe\xff")
                        .unwrap_or(bytes)
                        .chunks(2)
                        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
                        .collect();
                    String::from_utf16_lossy(&units)
                })
                .unwrap_or_default()
        };
        assert_eq!(text(b"Title"), "IIS-2026-0042 腎保護効果の検討");
        assert_eq!(text(b"Author"), "山田 太郎");
        for key in [&b"CreationDate"[..], b"ModDate"] {
            let date = info.get(key).and_then(lopdf::Object::as_str).expect("date");
            assert!(
                date.starts_with(b"D:20"),
                "{:?}",
                String::from_utf8_lossy(date)
            );
        }
        let catalog = file.catalog().expect("catalog");
        assert_eq!(
            catalog.get(b"Lang").and_then(lopdf::Object::as_str).ok(),
            Some(&b"ja"[..])
        );
    }
}
