//! The disclosure and studies CSV exports.

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::glossary::Labels;
use crate::domain::study::{CSV_BOM, csv_record, days_overdue, fiscal_year_range};
use crate::error::{AppError, AppResult};
use crate::store::study::{self as store};

use super::common::*;
use crate::store::proposals as proposal_store;

/// The disclosure CSV's columns, by code (each has a glossary term `term.<code>`).
pub const DISCLOSURE_COLUMNS: &[&str] = &[
    "fiscal_year",
    "registry_id",
    "reference",
    "institution",
    "investigator",
    "contracts",
    "total_paid",
    "currency",
];

/// The studies CSV's columns, by code.
pub const STUDIES_COLUMNS: &[&str] = &[
    "reference",
    "title",
    "status",
    "registry_id",
    "milestone",
    "due_on",
    "completed_on",
    "overdue_days",
];

/// Transparency disclosure (JPMA guideline, 臨床研究法 Article 33): per registry id, the
/// institution, investigator, number of contracts and total paid in the fiscal year.
pub fn disclosure_csv(
    conn: &mut DbConnection,
    principal: &Principal,
    fiscal_year: i32,
    labels: Labels,
) -> AppResult<String> {
    require_admin(principal)?;
    let (from, to) = fiscal_year_range(fiscal_year)
        .ok_or_else(|| AppError::validation_one("fiscal_year", "range", "not a year"))?;
    let mut by_study: std::collections::BTreeMap<
        String,
        // The total is summed exactly (i128): rows stored before amounts were bounded must not
        // wrap into a negative total.
        (String, String, String, String, i128, String),
    > = Default::default();
    for payment in store::paid_between(conn, from, to)? {
        let row = proposal_store::find(conn, &payment.proposal_id)?;
        let content: crate::domain::proposal::ProposalContent = serde_json::from_str(&row.content)?;
        let gates = store::gates(conn, &row.id)?.unwrap_or_default();
        // One row per study and currency; studies without a registry id stay apart.
        let key = format!(
            "{}|{}|{}",
            gates.registry_id.clone().unwrap_or_default(),
            row.id,
            payment.currency
        );
        let entry = by_study.entry(key).or_insert_with(|| {
            (
                gates.registry_id.clone().unwrap_or_default(),
                row.reference.clone().unwrap_or_default(),
                content.principal_investigator.institution.clone(),
                content.principal_investigator.name.clone(),
                0,
                payment.currency.clone(),
            )
        });
        entry.4 += i128::from(payment.amount);
    }
    let mut out = String::from(CSV_BOM);
    out.push_str(&header(labels, DISCLOSURE_COLUMNS));
    for (registry_id, reference, institution, investigator, total, currency) in
        by_study.into_values()
    {
        // One contract per study: the study agreement recorded by the contract gate.
        out.push_str(&csv_record(&[
            fiscal_year.to_string(),
            registry_id,
            reference,
            institution,
            investigator,
            "1".into(),
            total.to_string(),
            currency,
        ]));
    }
    Ok(out)
}

/// Every tracked study with its milestones (one row per milestone).
pub fn studies_csv(
    conn: &mut DbConnection,
    principal: &Principal,
    labels: Labels,
) -> AppResult<String> {
    require_admin(principal)?;
    let today = crate::clock::programme_today();
    let mut out = String::from(CSV_BOM);
    out.push_str(&header(labels, STUDIES_COLUMNS));
    let rows = proposal_store::list(
        conn,
        &proposal_store::ListScope::All,
        &proposal_store::ListFilter {
            limit: 100_000,
            ..Default::default()
        },
    )?;
    for row in rows.into_iter().filter(|r| {
        ["approved", "active", "completed", "closed", "terminated"].contains(&r.status.as_str())
    }) {
        let gates = store::gates(conn, &row.id)?.unwrap_or_default();
        let milestones = store::milestones_of(conn, &row.id)?;
        let base = [
            row.reference.clone().unwrap_or_default(),
            row.title.clone(),
            labels.value("status", &row.status),
            gates.registry_id.clone().unwrap_or_default(),
        ];
        if milestones.is_empty() {
            let mut fields = base.to_vec();
            fields.extend([String::new(), String::new(), String::new(), String::new()]);
            out.push_str(&csv_record(&fields));
        }
        for m in milestones {
            let mut fields = base.to_vec();
            fields.extend([
                if m.kind == "custom" {
                    m.title.clone()
                } else {
                    labels.value("milestone", &m.kind)
                },
                m.due_on.map(|d| d.to_string()).unwrap_or_default(),
                m.completed_on.map(|d| d.to_string()).unwrap_or_default(),
                days_overdue(m.due_on, m.completed_on, today)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ]);
            out.push_str(&csv_record(&fields));
        }
    }
    Ok(out)
}

/// The header row: each column's code or its glossary term.
fn header(labels: Labels, columns: &[&str]) -> String {
    let names: Vec<String> = columns.iter().map(|c| labels.column(c)).collect();
    csv_record(&names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lang;
    use crate::domain::glossary::lookup;

    #[test]
    fn every_csv_column_has_a_term_and_codes_stay_codes() {
        for code in DISCLOSURE_COLUMNS.iter().chain(STUDIES_COLUMNS) {
            for lang in [Lang::Ja, Lang::En] {
                assert!(lookup(lang, &format!("term.{code}")).is_some(), "{code}");
            }
            assert_eq!(Labels::Codes.column(code), *code);
        }
    }
}
