//! PDF reports (docs/PRODUCT.md#pdf-documents, docs/PDF.md): the proposal summary, in a committee
//! and an investigator version, and the study status report. Builds a `pdf::Document` from the
//! records; `pdf::render` typesets.

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::DbConnection;
use crate::domain::Lang;
use crate::domain::proposal::ProposalContent;
use crate::domain::reference::{FileName, Reference, ReportKind};
use crate::error::{AppError, AppResult};
use crate::pdf::{Block, Document, Info, PageLabel};
use crate::store::{msl as msl_store, proposals as proposal_store, users};
use crate::templates::translate;
use crate::workflows::proposals::{self as proposals, Loaded};
use crate::workflows::review;

/// Who a summary is for: what it may contain follows from that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Chair and admins: scores per reviewer and confidential comments.
    Committee,
    /// The investigator: the decision and the comments to the investigator, never names or
    /// confidential comments.
    Investigator,
    /// Anyone else who may see the proposal (MSLs, reviewers): no review content at all.
    Other,
}

/// The review section the loading caller reads: the committee's whole record for the chair and
/// admins, the investigator's letter for the owner, nothing of the review for anyone else.
pub fn audience_of(loaded: &Loaded) -> Audience {
    use crate::domain::access::Relation;
    match loaded.access.relation {
        Relation::Admin | Relation::Chair { .. } => Audience::Committee,
        Relation::Owner => Audience::Investigator,
        _ => Audience::Other,
    }
}

fn t(lang: Lang, key: &str) -> String {
    translate(lang, key)
}

fn or_dash(text: &str) -> String {
    if text.trim().is_empty() {
        "—".into()
    } else {
        text.to_string()
    }
}

fn amount(value: Option<i64>, currency: &str) -> String {
    match value {
        None => "—".into(),
        Some(v) => {
            // unsigned_abs: `abs` of i64::MIN overflows.
            let digits = v.unsigned_abs().to_string();
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            format!("{}{grouped} {currency}", if v < 0 { "-" } else { "" })
        }
    }
}

fn header(lang: Lang, loaded: &Loaded, kind_key: &str) -> String {
    let reference = loaded
        .row
        .reference
        .clone()
        .unwrap_or_else(|| t(lang, "proposal.no_reference_yet"));
    format!("{reference} · {}", t(lang, kind_key))
}

/// The file's metadata: `/Title` is the reference and the title, `/Author` the principal
/// investigator, `/Lang` the language it is written in.
fn info(lang: Lang, loaded: &Loaded) -> Info {
    let title = loaded.content.title.trim();
    Info {
        title: match &loaded.row.reference {
            Some(reference) if title.is_empty() => reference.clone(),
            Some(reference) => format!("{reference} {title}"),
            None => title.to_string(),
        },
        author: loaded
            .content
            .principal_investigator
            .name
            .trim()
            .to_string(),
        lang: lang.as_str().to_string(),
    }
}

/// A document to render and the name it is downloaded under.
pub struct Report {
    pub document: Document,
    pub file_name: FileName,
}

fn file_name(loaded: &Loaded, kind: ReportKind) -> FileName {
    let reference = loaded.row.reference.as_deref().and_then(Reference::parse);
    let id = uuid::Uuid::parse_str(&loaded.row.id).unwrap_or_else(|_| uuid::Uuid::nil());
    FileName::report(reference, &id, kind)
}

fn footer(lang: Lang) -> String {
    format!(
        "{} {}",
        t(lang, "pdf.generated"),
        crate::clock::display(crate::db::now())
    )
}

fn page_label(lang: Lang) -> PageLabel {
    match lang {
        Lang::Ja => PageLabel::Japanese,
        Lang::En => PageLabel::English,
    }
}

fn design_blocks(lang: Lang, c: &ProposalContent, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading(t(lang, "pdf.design")));
    for (key, text) in [
        ("section.background", &c.background),
        ("section.objectives", &c.objectives),
        ("section.hypothesis", &c.hypothesis),
        ("section.design", &c.design),
        ("section.primary_endpoint", &c.primary_endpoint),
    ] {
        blocks.push(Block::Paragraph(format!(
            "【{}】\n{}",
            t(lang, key),
            or_dash(text)
        )));
    }
    let secondary = if c.secondary_endpoints.is_empty() {
        "—".to_string()
    } else {
        c.secondary_endpoints
            .iter()
            .map(|s| format!("・{s}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    blocks.push(Block::Paragraph(format!(
        "【{}】\n{secondary}",
        t(lang, "section.secondary_endpoints")
    )));
}

pub fn summary(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    lang: Lang,
) -> AppResult<Report> {
    let mut loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    let audience = audience_of(&loaded);
    let reader = loaded.access.audience();
    crate::domain::visibility::project_content(reader, &mut loaded.content);
    Ok(Report {
        document: summary_for(conn, &loaded, audience, lang)?,
        file_name: file_name(&loaded, ReportKind::Summary),
    })
}

/// The summary of `loaded` for `audience` (also used by the decision letter's attachment).
pub fn summary_for(
    conn: &mut DbConnection,
    loaded: &Loaded,
    audience: Audience,
    lang: Lang,
) -> AppResult<Document> {
    let c = &loaded.content;
    let pi = &c.principal_investigator;
    let mut blocks = vec![Block::Fields(vec![
        (
            t(lang, "term.reference"),
            loaded.row.reference.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            t(lang, "term.status"),
            t(lang, &format!("status.{}", loaded.status.as_str())),
        ),
        (
            t(lang, "term.investigator"),
            format!(
                "{} ({} {})",
                or_dash(&pi.name),
                pi.institution,
                pi.department
            ),
        ),
        (t(lang, "section.product"), or_dash(&c.product)),
        (
            t(lang, "section.therapeutic_area"),
            or_dash(&c.therapeutic_area),
        ),
        (
            t(lang, "section.study_type"),
            c.study_type
                .map(|s| t(lang, &format!("study_type.{}", s.as_str())))
                .unwrap_or_else(|| "—".into()),
        ),
        (t(lang, "section.phase"), or_dash(&c.phase)),
        (
            t(lang, "section.planned_sample_size"),
            c.planned_sample_size
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into()),
        ),
        (
            t(lang, "section.planned_sites"),
            c.planned_sites
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into()),
        ),
        (
            t(lang, "pdf.period"),
            format!(
                "{} – {}",
                c.planned_start
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into()),
                c.planned_end
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into())
            ),
        ),
    ])];
    design_blocks(lang, c, &mut blocks);

    blocks.push(Block::Heading(t(lang, "pdf.support")));
    let support = &c.requested_support;
    let drug = support
        .drug_supply
        .as_ref()
        .map(|d| {
            format!(
                "{} {} {}",
                d.product,
                d.quantity.map(|q| q.to_string()).unwrap_or_default(),
                d.unit
            )
        })
        .unwrap_or_else(|| "—".into());
    blocks.push(Block::Fields(vec![
        (
            t(lang, "pdf.funding"),
            amount(support.funding_amount, &support.currency),
        ),
        (t(lang, "pdf.drug_supply"), drug),
        (t(lang, "pdf.other_support"), or_dash(&support.other)),
    ]));
    blocks.push(Block::Heading(t(lang, "section.budget_items")));
    let mut rows: Vec<Vec<String>> = c
        .budget_items
        .iter()
        .map(|b| vec![b.label.clone(), amount(b.amount, &support.currency)])
        .collect();
    rows.push(vec![
        t(lang, "pdf.total"),
        // "—" when a stored total is beyond the bound: never a wrapped value.
        amount(c.budget_total(), &support.currency),
    ]);
    blocks.push(Block::Table {
        headers: vec![t(lang, "pdf.item"), t(lang, "pdf.amount")],
        rows,
        widths: vec![3.0, 1.0],
        right_align: vec![false, true],
    });
    if !c.co_investigators.is_empty() {
        blocks.push(Block::Heading(t(lang, "section.co_investigators")));
        blocks.push(Block::Table {
            headers: vec![
                t(lang, "pdf.name"),
                t(lang, "term.institution"),
                "ORCID".into(),
            ],
            rows: c
                .co_investigators
                .iter()
                .map(|ci| vec![ci.name.clone(), ci.institution.clone(), or_dash(&ci.orcid)])
                .collect(),
            widths: vec![2.0, 3.0, 2.0],
            right_align: vec![],
        });
    }
    blocks.push(Block::Heading(t(lang, "pdf.ethics_registration")));
    blocks.push(Block::Fields(vec![
        (
            t(lang, "section.ethics_committee"),
            or_dash(&c.ethics_committee),
        ),
        (
            t(lang, "section.registry"),
            c.registry
                .map(|r| t(lang, &format!("registry.{}", r.as_str())))
                .unwrap_or_else(|| "—".into()),
        ),
        (
            t(lang, "section.publication_plan"),
            or_dash(&c.publication_plan),
        ),
    ]));
    review_blocks(conn, loaded, audience, lang, &mut blocks)?;
    Ok(Document {
        running_header: header(lang, loaded, "pdf.summary_title"),
        title: or_dash(&c.title),
        subtitle: Some(format!(
            "{} · {}",
            t(lang, &format!("status.{}", loaded.status.as_str())),
            match lang {
                Lang::Ja => format!("第{}版", loaded.row.round),
                Lang::En => format!("round {}", loaded.row.round),
            }
        )),
        blocks,
        footer_note: footer(lang),
        page_label: page_label(lang),
        info: info(lang, loaded),
    })
}

fn review_blocks(
    conn: &mut DbConnection,
    loaded: &Loaded,
    audience: Audience,
    lang: Lang,
    blocks: &mut Vec<Block>,
) -> AppResult<()> {
    if audience == Audience::Other {
        return Ok(());
    }
    let decision = crate::store::review::latest_decision(conn, &loaded.row.id)?;
    if audience == Audience::Committee {
        let committee_id = loaded.row.committee_id.clone();
        let committee = match &committee_id {
            Some(id) => Some(crate::store::review::find_committee(conn, id)?),
            None => None,
        };
        let rubric = committee
            .as_ref()
            .map(review::rubric_of)
            .unwrap_or_else(crate::domain::review::default_rubric);
        let assignments =
            crate::store::review::assignments(conn, &loaded.row.id, loaded.row.round)?;
        if !assignments.is_empty() {
            blocks.push(Block::Heading(t(lang, "pdf.review_scores")));
            let mut rows = Vec::new();
            let mut scores = Vec::new();
            for (a, name) in &assignments {
                let s: std::collections::BTreeMap<String, u8> =
                    serde_json::from_str(&a.scores).unwrap_or_default();
                let weighted = crate::domain::review::weighted_score(&rubric, &s);
                if a.completed_at.is_some() && a.coi_status == "none" {
                    scores.extend(weighted);
                }
                rows.push(vec![
                    name.clone(),
                    t(lang, &format!("coi.{}", a.coi_status)),
                    weighted
                        .map(|w| format!("{w:.2}"))
                        .unwrap_or_else(|| "—".into()),
                    a.recommendation
                        .as_deref()
                        .map(|r| t(lang, &format!("outcome.{r}")))
                        .unwrap_or_else(|| "—".into()),
                ]);
            }
            blocks.push(Block::Table {
                headers: vec![
                    t(lang, "pdf.reviewer"),
                    t(lang, "pdf.coi"),
                    t(lang, "pdf.score"),
                    t(lang, "pdf.recommendation"),
                ],
                rows,
                widths: vec![2.0, 1.5, 1.0, 2.0],
                right_align: vec![false, false, true, false],
            });
            let mean = crate::domain::review::proposal_score(&scores);
            blocks.push(Block::Paragraph(format!(
                "{}: {} ({} {} / {} {})",
                t(lang, "pdf.mean_score"),
                mean.map(|m| format!("{m:.2}"))
                    .unwrap_or_else(|| "—".into()),
                t(lang, "pdf.completed_reviews"),
                scores.len(),
                t(lang, "pdf.quorum"),
                committee
                    .map(|c| c.quorum)
                    .unwrap_or(crate::domain::review::DEFAULT_QUORUM),
            )));
            let confidential: Vec<String> = assignments
                .iter()
                .filter(|(a, _)| !a.confidential_comments.trim().is_empty())
                .map(|(a, name)| format!("{name}: {}", a.confidential_comments.trim()))
                .collect();
            if !confidential.is_empty() {
                blocks.push(Block::Heading(t(lang, "pdf.confidential_comments")));
                blocks.push(Block::Paragraph(confidential.join("\n\n")));
            }
        }
    }
    if let Some(decision) = decision {
        blocks.push(Block::Heading(t(lang, "pdf.decision")));
        let conditions: Vec<String> =
            serde_json::from_str(&decision.conditions).unwrap_or_default();
        let mut fields = vec![
            (
                t(lang, "pdf.outcome"),
                t(lang, &format!("outcome.{}", decision.outcome)),
            ),
            (t(lang, "pdf.rationale"), decision.rationale.clone()),
            (
                t(lang, "pdf.decided_at"),
                crate::clock::programme_date(decision.decided_at).to_string(),
            ),
        ];
        if !conditions.is_empty() {
            fields.push((
                t(lang, "pdf.conditions"),
                conditions
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{}. {c}", i + 1))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
        if audience == Audience::Committee
            && let Some(reason) = &decision.quorum_override_reason
        {
            fields.push((t(lang, "pdf.override"), reason.clone()));
        }
        blocks.push(Block::Fields(fields));
        let comments = review::comments_to_investigator(conn, &loaded.row.id, decision.round)?;
        if !comments.is_empty() {
            blocks.push(Block::Heading(t(lang, "pdf.comments_to_investigator")));
            blocks.push(Block::Paragraph(
                comments
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("({}) {c}", i + 1))
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            ));
        }
    }
    Ok(())
}

/// The study status report: status and dates, the timeline and the documents. Milestones,
/// enrollment and publications are reported once the study-tracking records exist.
pub fn status_report(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    lang: Lang,
) -> AppResult<Report> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    let fmt = |t: chrono::NaiveDateTime| crate::clock::programme_date(t).to_string();
    let mut blocks = vec![Block::Fields(vec![
        (
            t(lang, "term.reference"),
            loaded.row.reference.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            t(lang, "term.status"),
            t(lang, &format!("status.{}", loaded.status.as_str())),
        ),
        (
            t(lang, "term.investigator"),
            or_dash(&loaded.content.principal_investigator.name),
        ),
        (t(lang, "pdf.created"), fmt(loaded.row.created_at)),
        (
            t(lang, "pdf.submitted"),
            loaded
                .row
                .submitted_at
                .map(fmt)
                .unwrap_or_else(|| "—".into()),
        ),
        (
            t(lang, "section.planned_sample_size"),
            loaded
                .content
                .planned_sample_size
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into()),
        ),
    ])];
    study_blocks(conn, &loaded, lang, &mut blocks)?;
    blocks.push(Block::Heading(t(lang, "pdf.timeline")));
    let events = crate::workflows::timeline::events(conn, &loaded)?;
    blocks.push(Block::Table {
        headers: vec![
            t(lang, "pdf.date"),
            t(lang, "pdf.action"),
            t(lang, "term.status"),
            t(lang, "pdf.by"),
        ],
        rows: events
            .iter()
            .map(|(e, who)| {
                vec![
                    fmt(e.at),
                    t(lang, &format!("action.{}", e.action)),
                    t(lang, &format!("status.{}", e.to_status)),
                    who.clone().unwrap_or_else(|| t(lang, "pdf.committee")),
                ]
            })
            .collect(),
        widths: vec![1.2, 2.0, 1.6, 1.6],
        right_align: vec![],
    });
    let reader = loaded.access.audience();
    let documents: Vec<_> = msl_store::documents_of(conn, proposal_id)?
        .into_iter()
        .filter(|d| crate::domain::visibility::sees_document(reader, &d.doc_type))
        .collect();
    if !documents.is_empty() {
        blocks.push(Block::Heading(t(lang, "pdf.documents")));
        let mut rows = Vec::new();
        for d in documents {
            let who = users::find(conn, &d.uploaded_by)?.display_name;
            rows.push(vec![
                t(lang, &format!("doc_type.{}", d.doc_type)),
                format!("v{}", d.version),
                d.file_name,
                format!("{} · {who}", fmt(d.uploaded_at)),
            ]);
        }
        blocks.push(Block::Table {
            headers: vec![
                t(lang, "pdf.doc_type"),
                t(lang, "pdf.version"),
                t(lang, "pdf.file"),
                t(lang, "pdf.uploaded"),
            ],
            rows,
            widths: vec![1.5, 0.7, 2.5, 2.2],
            right_align: vec![],
        });
    }
    Ok(Report {
        document: Document {
            running_header: header(lang, &loaded, "pdf.status_title"),
            title: or_dash(&loaded.content.title),
            subtitle: Some(t(lang, &format!("status.{}", loaded.status.as_str()))),
            blocks,
            footer_note: footer(lang),
            page_label: page_label(lang),
            info: info(lang, &loaded),
        },
        file_name: file_name(&loaded, ReportKind::StatusReport),
    })
}

/// Renders off the async threads (`db::run` already runs on the blocking pool).
pub fn render(document: &Document) -> AppResult<Vec<u8>> {
    crate::pdf::render(document).map_err(|e| AppError::internal(format!("pdf: {e}")))
}

/// The investigator version of the summary, for the decision letter's attachment.
pub fn investigator_summary_pdf(
    conn: &mut DbConnection,
    proposal_id: &str,
    lang: Lang,
) -> AppResult<Vec<u8>> {
    let loaded = Loaded::from_row(
        proposal_store::find(conn, proposal_id)?,
        crate::domain::access::Relation::Owner,
    )?;
    let document = summary_for(conn, &loaded, Audience::Investigator, lang)?;
    render(&document)
}

/// Gates, milestones (with overdue marks), enrollment and publications of a study.
fn study_blocks(
    conn: &mut DbConnection,
    loaded: &Loaded,
    lang: Lang,
    blocks: &mut Vec<Block>,
) -> AppResult<()> {
    use crate::domain::study::days_overdue;
    use crate::store::study as study_store;
    let id = &loaded.row.id;
    let today = crate::clock::programme_today();
    let date =
        |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
    let gates = study_store::gates(conn, id)?;
    let milestones = study_store::milestones_of(conn, id)?;
    let enrollment = study_store::enrollment_of(conn, id)?;
    let publications = study_store::publications_of(conn, id)?;
    if gates.is_none() && milestones.is_empty() && enrollment.is_empty() && publications.is_empty()
    {
        blocks.push(Block::Heading(t(lang, "pdf.milestones")));
        blocks.push(Block::Paragraph(t(lang, "pdf.no_milestones")));
        return Ok(());
    }
    let g = gates.unwrap_or_default();
    blocks.push(Block::Heading(t(lang, "term.activation_requirements")));
    blocks.push(Block::Fields(vec![
        (t(lang, "gate.contract_signed"), date(g.contract_signed_on)),
        (
            t(lang, "gate.ethics_approved"),
            match g.ethics_approved_on {
                Some(d) => format!(
                    "{d} · {} · {}",
                    g.ethics_committee.unwrap_or_default(),
                    g.ethics_approval_number.unwrap_or_default()
                ),
                None => "—".into(),
            },
        ),
        (
            t(lang, "gate.registered"),
            match (g.registry, g.registry_id) {
                (Some(r), Some(rid)) => format!("{} {rid}", t(lang, &format!("registry.{r}"))),
                _ => "—".into(),
            },
        ),
    ]));
    if !milestones.is_empty() {
        blocks.push(Block::Heading(t(lang, "pdf.milestones_table")));
        blocks.push(Block::Table {
            headers: vec![
                t(lang, "term.milestone"),
                t(lang, "term.due_on"),
                t(lang, "pdf.done"),
                t(lang, "pdf.overdue"),
            ],
            rows: milestones
                .iter()
                .map(|m| {
                    let label = if m.kind == "custom" && !m.title.is_empty() {
                        m.title.clone()
                    } else {
                        t(lang, &format!("milestone.{}", m.kind))
                    };
                    let overdue = days_overdue(m.due_on, m.completed_on, today)
                        .map(|d| t(lang, "pdf.days_overdue").replace("{days}", &d.to_string()))
                        .unwrap_or_default();
                    vec![label, date(m.due_on), date(m.completed_on), overdue]
                })
                .collect(),
            widths: vec![2.5, 1.2, 1.2, 1.4],
            right_align: vec![],
        });
    }
    let (enrolled, planned, percent) = crate::workflows::study::enrollment_progress(
        &enrollment,
        loaded.content.planned_sample_size,
    );
    blocks.push(Block::Heading(t(lang, "pdf.enrollment")));
    blocks.push(Block::Paragraph(format!(
        "{enrolled} / {} ({})",
        planned.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
        percent
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "—".into())
    )));
    if !publications.is_empty() {
        blocks.push(Block::Heading(t(lang, "pdf.publications")));
        blocks.push(Block::Table {
            headers: vec![
                t(lang, "pdf.item"),
                t(lang, "pdf.venue"),
                t(lang, "term.status"),
            ],
            rows: publications
                .iter()
                .map(|p| {
                    let venue = match (&p.congress_name, &p.city) {
                        (Some(c), Some(city)) => format!("{c} ({city})"),
                        (Some(c), None) => c.clone(),
                        _ => p.venue.clone(),
                    };
                    // The identifiers go on their own line in the widest column, where a
                    // DOI fits unbroken (the line breaker keeps "PMID 1" together).
                    let ids = [
                        p.doi.as_ref().map(|doi| format!("DOI {doi}")),
                        p.pmid.as_ref().map(|id| format!("PMID {id}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("  ");
                    let mut item =
                        format!("{} — {}", t(lang, &format!("pub_kind.{}", p.kind)), p.title);
                    if !ids.is_empty() {
                        item.push('\n');
                        item.push_str(&ids);
                    }
                    vec![item, venue, t(lang, &format!("pub_status.{}", p.status))]
                })
                .collect(),
            widths: vec![4.6, 2.0, 1.2],
            right_align: vec![],
        });
    }
    Ok(())
}
