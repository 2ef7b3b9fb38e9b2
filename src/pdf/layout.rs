//! Page layout: turns a [`Document`] into positioned text lines and rules, page by page.
//!
//! Everything here is in PDF points, with `y` measured **down from the top edge** of the
//! page (the drawing pass flips it). Layout is pure: it only needs a function giving
//! each character's advance width in ems, so it is testable without a PDF.

use super::linebreak::break_lines;
use super::{Block, Document, PageLabel};

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;
pub(crate) const PAGE_W: f32 = 210.0 * MM;
pub(crate) const PAGE_H: f32 = 297.0 * MM;
const MARGIN: f32 = 20.0 * MM;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_W - MARGIN;
const BODY_W: f32 = RIGHT - LEFT;
const TOP: f32 = MARGIN;
const BOTTOM: f32 = PAGE_H - MARGIN;

const BODY_SIZE: f32 = 10.0;
const BODY_LH: f32 = 15.0;
const HEADING_SIZE: f32 = 13.0;
const HEADING_LH: f32 = 19.0;
const HEADING_SPACE_BEFORE: f32 = 10.0;
const HEADING_SPACE_AFTER: f32 = 3.0;
const TITLE_SIZE: f32 = 17.0;
const TITLE_LH: f32 = 24.0;
const TABLE_SIZE: f32 = 9.0;
const TABLE_LH: f32 = 13.5;
const CELL_PAD_X: f32 = 3.0;
const CELL_PAD_Y: f32 = 2.5;
const FIELD_PAD_Y: f32 = 2.0;
const FIELD_GAP: f32 = 4.0 * MM;
const BLOCK_GAP: f32 = 6.0;
const SMALL_SIZE: f32 = 8.0;
/// Ascender of IPAex Gothic in ems (the em box is 0.88 / −0.12).
const ASCENT: f32 = 0.88;

/// Ink colours used by the drawing pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Body text.
    Text,
    /// Title and headings.
    Accent,
    /// Running header, footer, subtitle, field labels.
    Muted,
    /// Structural rules (table top/bottom, under the title).
    Rule,
    /// Hairlines between rows.
    Hairline,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
        tone: Tone,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        tone: Tone,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub(crate) items: Vec<Item>,
}

impl Page {
    /// The text lines of this page, in drawing order (body only, without furniture).
    #[cfg(test)]
    pub(crate) fn lines(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|i| match i {
            Item::Text { text, .. } => Some(text.as_str()),
            Item::Rule { .. } => None,
        })
    }
}

/// Lays out the body of `doc` (title, blocks). Always returns at least one page.
pub(crate) fn layout(doc: &Document, em: &dyn Fn(char) -> f32) -> Vec<Page> {
    let mut flow = Flow {
        em,
        pages: vec![Page::default()],
        y: TOP,
        content_top: TOP,
    };
    flow.title(&doc.title, doc.subtitle.as_deref());
    for (i, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Heading(text) => {
                // Keep with next: room for any spacers and the first line of the
                // next real block.
                let mut lead = 0.0;
                for next in doc.blocks.iter().skip(i + 1) {
                    match next {
                        Block::Spacer(mm) if mm.is_finite() && *mm > 0.0 => lead += mm * MM,
                        Block::Spacer(_) => {}
                        other => {
                            lead += flow.lead_height(other);
                            break;
                        }
                    }
                }
                flow.heading(text, lead)
            }
            Block::Paragraph(text) => flow.paragraph(text),
            Block::Fields(fields) => flow.fields(fields),
            Block::Table {
                headers,
                rows,
                widths,
                right_align,
            } => flow.table(headers, rows, widths, right_align),
            Block::Spacer(mm) => flow.spacer(*mm),
        }
    }
    flow.pages
}

/// Running header, footer note and page label for page `n` of `total`.
pub(crate) fn furniture(
    doc: &Document,
    n: usize,
    total: usize,
    em: &dyn Fn(char) -> f32,
) -> Vec<Item> {
    let width = |s: &str| s.chars().map(em).sum::<f32>() * SMALL_SIZE;
    let label = match doc.page_label {
        PageLabel::Japanese => format!("{n} / {total} ページ"),
        PageLabel::English => format!("Page {n} of {total}"),
    };
    let label_w = width(&label);
    let header_baseline = 13.0 * MM;
    let footer_baseline = PAGE_H - 12.0 * MM;
    let mut items = Vec::new();
    if !doc.running_header.trim().is_empty() {
        items.push(Item::Text {
            x: LEFT,
            baseline: header_baseline,
            size: SMALL_SIZE,
            text: truncate(&doc.running_header, BODY_W, SMALL_SIZE, em),
            tone: Tone::Muted,
        });
    }
    items.push(Item::Rule {
        x1: LEFT,
        x2: RIGHT,
        y: 15.0 * MM,
        width: 0.4,
        tone: Tone::Hairline,
    });
    if !doc.footer_note.trim().is_empty() {
        items.push(Item::Text {
            x: LEFT,
            baseline: footer_baseline,
            size: SMALL_SIZE,
            text: truncate(
                &doc.footer_note,
                BODY_W - label_w - 8.0 * MM,
                SMALL_SIZE,
                em,
            ),
            tone: Tone::Muted,
        });
    }
    items.push(Item::Text {
        x: RIGHT - label_w,
        baseline: footer_baseline,
        size: SMALL_SIZE,
        text: label,
        tone: Tone::Muted,
    });
    items
}

/// First line of `text` (no line breaks), cut with an ellipsis to fit `max_width`.
fn truncate(text: &str, max_width: f32, size: f32, em: &dyn Fn(char) -> f32) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    let w = |c: char| em(c) * size;
    if one_line.chars().map(w).sum::<f32>() <= max_width {
        return one_line.to_string();
    }
    let budget = max_width - w('…');
    let mut used = 0.0;
    let mut out = String::new();
    for c in one_line.chars() {
        used += w(c);
        if used > budget {
            break;
        }
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Line-box baseline for a line whose box starts at `top`.
fn baseline(top: f32, size: f32, lh: f32) -> f32 {
    top + (lh - size) / 2.0 + ASCENT * size
}

struct Flow<'a> {
    em: &'a dyn Fn(char) -> f32,
    pages: Vec<Page>,
    /// Top of the next line box.
    y: f32,
    /// Where content starts on the current page (below a repeated table header).
    content_top: f32,
}

impl Flow<'_> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
        self.content_top = TOP;
    }

    fn at_top(&self) -> bool {
        self.y <= self.content_top + 0.01
    }

    fn remaining(&self) -> f32 {
        BOTTOM - self.y
    }

    /// Starts a new page unless `height` fits (or we are already at the top).
    fn ensure(&mut self, height: f32) {
        if height > self.remaining() + 0.01 && !self.at_top() {
            self.new_page();
        }
    }

    fn wrap(&self, text: &str, width: f32, size: f32) -> Vec<String> {
        let em = self.em;
        break_lines(text, width, |c| em(c) * size)
    }

    fn text_width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(self.em).sum::<f32>() * size
    }

    fn text(&mut self, x: f32, top: f32, size: f32, lh: f32, text: &str, tone: Tone) {
        if text.is_empty() {
            return;
        }
        let item = Item::Text {
            x,
            baseline: baseline(top, size, lh),
            size,
            text: text.to_string(),
            tone,
        };
        self.page().items.push(item);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, tone: Tone) {
        self.page().items.push(Item::Rule {
            x1,
            x2,
            y,
            width,
            tone,
        });
    }

    /// Writes wrapped lines flowing across pages.
    fn lines(&mut self, lines: &[String], x: f32, size: f32, lh: f32, tone: Tone) {
        for line in lines {
            if line.is_empty() && self.at_top() {
                continue;
            }
            self.ensure(lh);
            let top = self.y;
            self.text(x, top, size, lh, line, tone);
            self.y += lh;
        }
    }

    fn title(&mut self, title: &str, subtitle: Option<&str>) {
        let mut any = false;
        if !title.trim().is_empty() {
            let lines = self.wrap(title.trim(), BODY_W, TITLE_SIZE);
            self.lines(&lines, LEFT, TITLE_SIZE, TITLE_LH, Tone::Accent);
            any = true;
        }
        if let Some(sub) = subtitle.filter(|s| !s.trim().is_empty()) {
            self.y += 2.0;
            let lines = self.wrap(sub.trim(), BODY_W, BODY_SIZE);
            self.lines(&lines, LEFT, BODY_SIZE, BODY_LH, Tone::Muted);
            any = true;
        }
        if any {
            self.y += 4.0;
            let y = self.y;
            self.rule(LEFT, RIGHT, y, 0.8, Tone::Rule);
            self.y += 8.0;
        }
    }

    /// Height a block needs on the same page as a heading placed before it.
    fn lead_height(&self, next: &Block) -> f32 {
        match next {
            Block::Paragraph(_) => BODY_LH,
            Block::Fields(f) if !f.is_empty() => BODY_LH + 2.0 * FIELD_PAD_Y,
            Block::Table { headers, .. } => {
                let header = if headers.iter().all(|h| h.trim().is_empty()) {
                    0.0
                } else {
                    TABLE_LH + 2.0 * CELL_PAD_Y
                };
                header + TABLE_LH + 2.0 * CELL_PAD_Y
            }
            Block::Heading(_) => HEADING_SPACE_BEFORE + HEADING_LH,
            _ => 0.0,
        }
    }

    /// `lead`: height of what must follow on the same page (keep-with-next).
    fn heading(&mut self, text: &str, lead: f32) {
        let lines = self.wrap(text.trim(), BODY_W, HEADING_SIZE);
        let own = lines.len() as f32 * HEADING_LH + HEADING_SPACE_AFTER;
        let before = if self.at_top() {
            0.0
        } else {
            HEADING_SPACE_BEFORE
        };
        // Keep with next: the heading plus the first line of what follows must fit.
        if before + own + lead > self.remaining() && !self.at_top() {
            self.new_page();
        } else {
            self.y += before;
        }
        self.lines(&lines, LEFT, HEADING_SIZE, HEADING_LH, Tone::Accent);
        self.y += HEADING_SPACE_AFTER;
    }

    fn paragraph(&mut self, text: &str) {
        let lines = self.wrap(text, BODY_W, BODY_SIZE);
        self.lines(&lines, LEFT, BODY_SIZE, BODY_LH, Tone::Text);
        self.y += BLOCK_GAP;
    }

    fn spacer(&mut self, mm: f32) {
        if mm.is_finite() && mm > 0.0 && !self.at_top() {
            self.y += mm * MM;
            if self.y >= BOTTOM {
                self.new_page();
            }
        }
    }

    fn fields(&mut self, fields: &[(String, String)]) {
        let label_w = BODY_W * 0.30 - FIELD_GAP;
        let value_x = LEFT + BODY_W * 0.30;
        let value_w = BODY_W * 0.70;
        for (label, value) in fields {
            let cells = vec![
                self.wrap(label, label_w, BODY_SIZE),
                self.wrap(value, value_w, BODY_SIZE),
            ];
            let cols = [
                (LEFT, label_w, false, Tone::Muted),
                (value_x, value_w, false, Tone::Text),
            ];
            self.row(&cells, &cols, BODY_SIZE, BODY_LH, FIELD_PAD_Y, &|_| {});
        }
        self.y += BLOCK_GAP;
    }

    fn table(
        &mut self,
        headers: &[String],
        rows: &[Vec<String>],
        widths: &[f32],
        right_align: &[bool],
    ) {
        let ncols = rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(headers.len()))
            .max()
            .unwrap_or(0);
        if ncols == 0 {
            return;
        }
        let rel: Vec<f32> = (0..ncols)
            .map(|i| {
                widths
                    .get(i)
                    .copied()
                    .filter(|w| w.is_finite() && *w > 0.0)
                    .unwrap_or(0.0)
            })
            .collect();
        let total: f32 = rel.iter().sum();
        let rel: Vec<f32> = if total > 0.0 && rel.iter().all(|w| *w > 0.0) {
            rel.iter().map(|w| w / total).collect()
        } else {
            vec![1.0 / ncols as f32; ncols]
        };
        let mut cols = Vec::with_capacity(ncols);
        let mut x = LEFT;
        for (i, r) in rel.iter().enumerate() {
            let w = r * BODY_W;
            let right = right_align.get(i).copied().unwrap_or(false);
            cols.push((
                x + CELL_PAD_X,
                (w - 2.0 * CELL_PAD_X).max(TABLE_SIZE),
                right,
                Tone::Text,
            ));
            x += w;
        }
        let cell = |row: &[String], i: usize| row.get(i).map_or("", String::as_str).to_string();
        let has_header = headers.iter().any(|h| !h.trim().is_empty());
        let header_cells: Vec<Vec<String>> = if has_header {
            (0..ncols)
                .map(|i| self.wrap(&cell(headers, i), cols[i].1, TABLE_SIZE))
                .collect()
        } else {
            Vec::new()
        };
        let header_cols: Vec<_> = cols
            .iter()
            .map(|&(x, w, r, _)| (x, w, r, Tone::Muted))
            .collect();
        let header_h = header_cells.iter().map(Vec::len).max().unwrap_or(0) as f32 * TABLE_LH
            + 2.0 * CELL_PAD_Y;

        // Draws the header (or just the top rule) at the current position.
        let draw_header = |flow: &mut Flow<'_>| {
            let was_top = flow.at_top();
            let y = flow.y;
            flow.rule(LEFT, RIGHT, y, 0.8, Tone::Rule);
            if has_header {
                flow.place_lines(
                    &header_cells,
                    &header_cols,
                    TABLE_SIZE,
                    TABLE_LH,
                    CELL_PAD_Y,
                    0,
                    usize::MAX,
                );
                let y = flow.y;
                flow.rule(LEFT, RIGHT, y, 0.5, Tone::Rule);
            }
            if was_top {
                flow.content_top = flow.y;
            }
        };

        let first_row = if rows.is_empty() {
            0.0
        } else {
            TABLE_LH + 2.0 * CELL_PAD_Y
        };
        self.ensure(if has_header { header_h } else { 0.0 } + first_row);
        draw_header(self);
        for (r, row) in rows.iter().enumerate() {
            let cells: Vec<Vec<String>> = (0..ncols)
                .map(|i| self.wrap(&cell(row, i), cols[i].1, TABLE_SIZE))
                .collect();
            let last = r + 1 == rows.len();
            self.row(&cells, &cols, TABLE_SIZE, TABLE_LH, CELL_PAD_Y, &|flow| {
                draw_header(flow)
            });
            let y = self.y;
            if last {
                self.rule(LEFT, RIGHT, y, 0.8, Tone::Rule);
            } else {
                self.rule(LEFT, RIGHT, y, 0.25, Tone::Hairline);
            }
        }
        if rows.is_empty() && !has_header {
            return;
        }
        self.y += BLOCK_GAP;
    }

    /// Places one row of wrapped cells. The row moves to the next page whole when it
    /// fits there; a row taller than a page is split line by line. `on_new_page` runs
    /// after every page break the row causes (tables repeat their header there).
    fn row(
        &mut self,
        cells: &[Vec<String>],
        cols: &[(f32, f32, bool, Tone)],
        size: f32,
        lh: f32,
        pad: f32,
        on_new_page: &dyn Fn(&mut Flow<'_>),
    ) {
        let n = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let height = n as f32 * lh + 2.0 * pad;
        if height > self.remaining() + 0.01 && !self.at_top() {
            self.new_page();
            on_new_page(self);
        }
        let mut start = 0;
        loop {
            let fit = ((self.remaining() - 2.0 * pad) / lh + 0.001)
                .floor()
                .max(0.0) as usize;
            let take = fit.max(1).min(n - start);
            self.place_lines(cells, cols, size, lh, pad, start, start + take);
            start += take;
            if start >= n {
                break;
            }
            self.new_page();
            on_new_page(self);
        }
    }

    /// Places lines `from..to` of every cell as one band and advances `y` past it.
    #[allow(clippy::too_many_arguments)]
    fn place_lines(
        &mut self,
        cells: &[Vec<String>],
        cols: &[(f32, f32, bool, Tone)],
        size: f32,
        lh: f32,
        pad: f32,
        from: usize,
        to: usize,
    ) {
        let top = self.y + pad;
        let mut rows_used = 0;
        for (lines, &(x, w, right, tone)) in cells.iter().zip(cols) {
            let slice = lines.get(from..to.min(lines.len())).unwrap_or(&[]);
            rows_used = rows_used.max(slice.len());
            for (k, line) in slice.iter().enumerate() {
                let lx = if right {
                    x + w - self.text_width(line, size)
                } else {
                    x
                };
                self.text(lx, top + k as f32 * lh, size, lh, line, tone);
            }
        }
        self.y = top + rows_used.max(1) as f32 * lh + pad;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn em(c: char) -> f32 {
        if super::super::linebreak::is_cjk(c) {
            1.0
        } else {
            0.5
        }
    }

    fn doc(blocks: Vec<Block>) -> Document {
        Document {
            running_header: "H".into(),
            title: "タイトル".into(),
            subtitle: None,
            blocks,
            footer_note: String::new(),
            page_label: PageLabel::Japanese,
            info: Default::default(),
        }
    }

    #[test]
    fn heading_is_never_last_on_a_page() {
        // Push a heading to every possible position near the bottom of page 1.
        for n in 30..60 {
            for spacer in [false, true] {
                let mut blocks = vec![Block::Paragraph("行\n".repeat(n))];
                blocks.push(Block::Heading("見出し".into()));
                if spacer {
                    blocks.push(Block::Spacer(3.0));
                }
                blocks.push(Block::Paragraph("本文".into()));
                let pages = layout(&doc(blocks), &em);
                for page in &pages {
                    assert_ne!(page.lines().last(), Some("見出し"), "n = {n}");
                }
            }
        }
    }

    #[test]
    fn table_header_repeats_on_every_page() {
        let rows = (0..150)
            .map(|i| vec![format!("項目{i}"), format!("{i}")])
            .collect();
        let d = doc(vec![Block::Table {
            headers: vec!["費目".into(), "金額".into()],
            rows,
            widths: vec![3.0, 1.0],
            right_align: vec![false, true],
        }]);
        let pages = layout(&d, &em);
        assert!(pages.len() >= 2);
        for page in &pages {
            assert!(
                page.lines().any(|l| l == "費目"),
                "header missing on a page"
            );
        }
    }

    #[test]
    fn everything_stays_inside_the_body_area() {
        let rows = (0..80)
            .map(|i| vec![format!("行 {i} ").repeat(20), "x".into()])
            .collect();
        let d = doc(vec![
            Block::Paragraph("あ".repeat(5000)),
            // Taller than a page: must split line by line.
            Block::Fields(vec![("ラベル".into(), "値".repeat(3000))]),
            Block::Table {
                headers: vec![],
                rows,
                widths: vec![],
                right_align: vec![],
            },
        ]);
        for page in layout(&d, &em) {
            for item in &page.items {
                if let Item::Text {
                    x,
                    baseline,
                    size,
                    text,
                    ..
                } = item
                {
                    assert!(
                        *baseline <= BOTTOM + 0.01 && *baseline - size >= TOP - 0.01,
                        "{text}"
                    );
                    let w: f32 = text.chars().map(em).sum::<f32>() * size;
                    assert!(
                        *x >= LEFT - 0.01 && x + w <= RIGHT + 0.01,
                        "{text} overflows"
                    );
                }
            }
        }
    }

    #[test]
    fn truncate_adds_ellipsis() {
        let t = truncate(&"長い見出し".repeat(50), 100.0, 10.0, &em);
        assert!(t.ends_with('…'));
        assert!(t.chars().map(em).sum::<f32>() * 10.0 <= 100.0);
    }
}
