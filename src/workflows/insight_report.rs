//! The insight report for a period (docs/PRODUCT.md#insight-report): counts and trends
//! against the previous period by therapeutic area, category and listening priority, with
//! the representative insights; as data (JSON and the web page), as a PDF and as CSV.
//! Admins and MSLs only (the visibility table's `Insights` row).

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Lang;
use crate::domain::insights::{Category, InsightStatus};
use crate::domain::insights_report::{
    CountRow, InsightFact, Period, PeriodComparison, PeriodError, compare, representatives,
};
use crate::domain::study::{CSV_BOM, csv_record};
use crate::error::{AppError, AppResult, FieldError};
use crate::pdf::{Block, Document, Info, PageLabel};
use crate::store::insights as store;
use crate::templates::translate;
use crate::workflows::insights::{question, require_reader};

/// How many example insights per category the report shows.
pub const REPRESENTATIVES_PER_CATEGORY: usize = 3;

/// A day is a day in the programme's time zone (Asia/Tokyo unless configured).
fn day_in_japan(utc: NaiveDateTime) -> NaiveDate {
    crate::clock::programme_date(utc)
}

/// The UTC instant at which `day` starts in Japan.
fn start_in_utc(day: NaiveDate) -> NaiveDateTime {
    crate::clock::start_of_programme_day(day)
}

/// The period from query parameters, with field errors on `from` / `to`.
pub fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> AppResult<Period> {
    let (Some(from), Some(to)) = (from, to) else {
        let mut errors = Vec::new();
        if from.is_none() {
            errors.push(FieldError::new("from", "required", "a date, YYYY-MM-DD"));
        }
        if to.is_none() {
            errors.push(FieldError::new("to", "required", "a date, YYYY-MM-DD"));
        }
        return Err(AppError::Validation(errors));
    };
    Period::new(from, to).map_err(|e| match e {
        PeriodError::Reversed => AppError::validation_one("to", "range", "must not be before from"),
        PeriodError::TooLong => {
            AppError::validation_one("to", "range", "a report covers at most 731 days")
        }
    })
}

/// One example insight as the report shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportInsight {
    pub id: String,
    pub category: Category,
    pub status: InsightStatus,
    pub submitted_on: Option<NaiveDate>,
    pub therapeutic_area: String,
    pub product: String,
    pub title: String,
    pub body: String,
    pub author_name: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InsightReport {
    #[serde(flatten)]
    pub comparison: PeriodComparison,
    pub representatives: Vec<ReportInsight>,
}

/// The report of `period`, priorities' questions in `lang`.
pub fn report(
    conn: &mut DbConnection,
    principal: &Principal,
    period: Period,
    lang: Lang,
) -> AppResult<InsightReport> {
    require_reader(principal)?;
    let previous = period.previous();
    let rows = store::submitted_between(
        conn,
        start_in_utc(previous.from),
        start_in_utc(period.to + Duration::days(1)),
    )?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let links = store::links_of(conn, &ids)?;
    let priorities = store::priorities(conn)?;
    let mut facts = Vec::new();
    for row in &rows {
        let (Some(category), Some(status)) = (
            Category::parse(&row.category),
            InsightStatus::parse(&row.status),
        ) else {
            continue;
        };
        let linked = links
            .iter()
            .filter(|(insight, kind, _)| insight == &row.id && kind == "priority")
            .filter_map(|(_, _, target)| priorities.iter().find(|p| &p.id == target))
            .map(|p| (p.id.clone(), question(p, lang).to_string()))
            .collect();
        facts.push(InsightFact {
            id: row.id.clone(),
            status,
            submitted_on: row.submitted_at.map(day_in_japan),
            therapeutic_area: row.therapeutic_area.clone(),
            category,
            priorities: linked,
        });
    }
    let comparison = compare(&facts, period);
    let mut examples = Vec::new();
    for id in representatives(&facts, &period, REPRESENTATIVES_PER_CATEGORY) {
        let Some(row) = rows.iter().find(|r| r.id == id) else {
            continue;
        };
        examples.push(ReportInsight {
            id: row.id.clone(),
            category: Category::parse(&row.category).unwrap_or(Category::UnmetNeed),
            status: InsightStatus::parse(&row.status).unwrap_or(InsightStatus::Submitted),
            submitted_on: row.submitted_at.map(day_in_japan),
            therapeutic_area: row.therapeutic_area.clone(),
            product: row.product.clone(),
            title: row.title.clone(),
            body: row.body.clone(),
            author_name: crate::store::users::display_name(conn, &row.author_id)?,
        });
    }
    Ok(InsightReport {
        comparison,
        representatives: examples,
    })
}

fn t(lang: Lang, key: &str) -> String {
    translate(lang, key)
}

/// `+50%`, `−33%`, `新規` / `new`, `±0%`.
pub fn change_text(lang: Lang, row: &CountRow) -> String {
    match row.change_percent {
        None if row.current > 0 => t(lang, "insight.trend.new"),
        None => "—".into(),
        Some(0) => "±0%".into(),
        Some(p) if p > 0 => format!("+{p}%"),
        Some(p) => format!("−{}%", p.unsigned_abs()),
    }
}

/// The row label as shown: categories translated, the rest as stored.
pub fn label(lang: Lang, dimension: &str, row: &CountRow) -> String {
    if dimension == "category" {
        t(lang, &format!("insight.category.{}", row.key))
    } else {
        row.label.clone()
    }
}

/// The three breakdowns with their dimension name and heading key.
pub fn breakdowns(report: &InsightReport) -> [(&'static str, &'static str, &Vec<CountRow>); 3] {
    let c = &report.comparison;
    [
        (
            "therapeutic_area",
            "insight.report.by_area",
            &c.by_therapeutic_area,
        ),
        ("category", "insight.report.by_category", &c.by_category),
        (
            "listening_priority",
            "insight.report.by_priority",
            &c.by_listening_priority,
        ),
    ]
}

fn period_text(period: &Period) -> String {
    format!("{} – {}", period.from, period.to)
}

/// The report as a PDF document (the Japanese typesetting engine, `pdf::render`).
pub fn pdf_document(report: &InsightReport, lang: Lang) -> Document {
    let c = &report.comparison;
    let mut blocks = vec![Block::Fields(vec![
        (t(lang, "insight.report.period"), period_text(&c.period)),
        (
            t(lang, "insight.report.previous_period"),
            period_text(&c.previous_period),
        ),
        (
            t(lang, "insight.report.total"),
            format!(
                "{} ({} {}, {})",
                c.total.current,
                t(lang, "insight.report.previous"),
                c.total.previous,
                change_text(lang, &c.total)
            ),
        ),
    ])];
    for (dimension, heading, rows) in breakdowns(report) {
        blocks.push(Block::Heading(t(lang, heading)));
        if rows.is_empty() {
            blocks.push(Block::Paragraph(t(lang, "insight.report.none")));
            continue;
        }
        blocks.push(Block::Table {
            headers: vec![
                t(lang, &format!("insight.report.dimension.{dimension}")),
                t(lang, "insight.report.current"),
                t(lang, "insight.report.previous"),
                t(lang, "insight.report.change"),
            ],
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        label(lang, dimension, r),
                        r.current.to_string(),
                        r.previous.to_string(),
                        change_text(lang, r),
                    ]
                })
                .collect(),
            widths: vec![3.0, 1.0, 1.0, 1.0],
            right_align: vec![false, true, true, true],
        });
    }
    blocks.push(Block::Heading(t(lang, "insight.report.representatives")));
    if report.representatives.is_empty() {
        blocks.push(Block::Paragraph(t(lang, "insight.report.none")));
    }
    for r in &report.representatives {
        blocks.push(Block::Paragraph(format!(
            "【{}】{}\n{} · {} · {}\n{}",
            t(lang, &format!("insight.category.{}", r.category.as_str())),
            r.title,
            r.submitted_on.map(|d| d.to_string()).unwrap_or_default(),
            r.therapeutic_area,
            r.author_name,
            r.body
        )));
    }
    let title = t(lang, "insight.report.title");
    Document {
        running_header: format!("{title} · {}", period_text(&c.period)),
        title: title.clone(),
        subtitle: Some(period_text(&c.period)),
        blocks,
        footer_note: format!(
            "{} {}",
            t(lang, "pdf.generated"),
            crate::clock::display(crate::db::now())
        ),
        page_label: match lang {
            Lang::Ja => PageLabel::Japanese,
            Lang::En => PageLabel::English,
        },
        info: Info {
            title: format!("{title} {}", period_text(&c.period)),
            author: String::new(),
            lang: lang.as_str().to_string(),
        },
    }
}

/// The report as CSV (UTF-8 with BOM): one line per breakdown row, then the examples.
pub fn csv(report: &InsightReport, lang: Lang) -> String {
    let c = &report.comparison;
    let mut out = String::from(CSV_BOM);
    out.push_str(&csv_record(&[
        "dimension".into(),
        "key".into(),
        "label".into(),
        format!("current ({})", period_text(&c.period)),
        format!("previous ({})", period_text(&c.previous_period)),
        "trend".into(),
        "change_percent".into(),
    ]));
    let total = ("total", &c.total, t(lang, "insight.report.total"));
    let mut lines = vec![total];
    for (dimension, _, rows) in breakdowns(report) {
        for row in rows.iter() {
            lines.push((dimension, row, label(lang, dimension, row)));
        }
    }
    for (dimension, row, shown) in lines {
        out.push_str(&csv_record(&[
            dimension.into(),
            row.key.clone(),
            shown,
            row.current.to_string(),
            row.previous.to_string(),
            serde_json::to_value(row.trend)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            row.change_percent
                .map(|p| p.to_string())
                .unwrap_or_default(),
        ]));
    }
    for r in &report.representatives {
        out.push_str(&csv_record(&[
            "representative".into(),
            r.id.clone(),
            r.title.clone(),
            r.submitted_on.map(|d| d.to_string()).unwrap_or_default(),
            r.category.as_str().into(),
            r.therapeutic_area.clone(),
            r.body.clone(),
        ]));
    }
    out
}
