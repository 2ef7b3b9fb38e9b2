//! Maps the HTML proposal form to `ProposalContent` and back. Field names equal the JSON
//! paths (`principal_investigator.orcid`, `co_investigators[1].name`), so the completeness
//! check's errors land beside the right inputs.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::domain::Lang;
use crate::domain::identifiers::Registry;
use crate::domain::proposal::{
    BudgetItem, CURRENCIES, CoInvestigator, DrugSupply, FieldIssue, ProposalContent, STUDY_TYPES,
    StudyType,
};
use crate::templates::translate;

/// Parsed form: the content, and the fields whose text could not be read (not saved).
pub struct ParsedForm {
    pub content: ProposalContent,
    pub parse_issues: Vec<FieldIssue>,
    pub intent: String,
    pub version: Option<i64>,
}

fn issue(field: &str, code: &'static str) -> FieldIssue {
    FieldIssue {
        field: field.to_string(),
        code,
        max: None,
    }
}

/// `co_investigators[3].name` → ("co_investigators", 3, "name").
fn indexed(key: &str) -> Option<(&str, usize, &str)> {
    let (list, rest) = key.split_once('[')?;
    let (index, field) = rest.split_once("].")?;
    Some((list, index.parse().ok()?, field))
}

pub fn parse(pairs: &[(String, String)]) -> ParsedForm {
    let mut values: BTreeMap<&str, &str> = BTreeMap::new();
    let mut co: BTreeMap<usize, CoInvestigator> = BTreeMap::new();
    let mut budget: BTreeMap<usize, (String, String)> = BTreeMap::new();
    for (key, value) in pairs {
        match indexed(key) {
            Some(("co_investigators", i, field)) => {
                let row = co.entry(i).or_default();
                match field {
                    "name" => row.name = value.clone(),
                    "institution" => row.institution = value.clone(),
                    "orcid" => row.orcid = value.clone(),
                    _ => {}
                }
            }
            Some(("budget_items", i, field)) => {
                let row = budget.entry(i).or_default();
                match field {
                    "label" => row.0 = value.clone(),
                    "amount" => row.1 = value.clone(),
                    _ => {}
                }
            }
            _ => {
                values.insert(key.as_str(), value.as_str());
            }
        }
    }
    let mut issues = Vec::new();
    let text = |name: &str| values.get(name).map(|v| v.to_string()).unwrap_or_default();
    let flag = |name: &str| values.get(name).is_some_and(|v| *v == "true");
    let number = |name: &str, issues: &mut Vec<FieldIssue>| -> Option<i64> {
        let raw = text(name).replace([',', '，', ' '], "");
        if raw.trim().is_empty() {
            return None;
        }
        raw.trim()
            .parse::<i64>()
            .map_err(|_| issues.push(issue(name, "not_a_number")))
            .ok()
    };
    let date = |name: &str, issues: &mut Vec<FieldIssue>| -> Option<NaiveDate> {
        let raw = text(name);
        if raw.trim().is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| issues.push(issue(name, "not_a_date")))
            .ok()
    };
    let study_type = match text("study_type").trim() {
        "" => None,
        other => StudyType::parse(other).or_else(|| {
            issues.push(issue("study_type", "invalid_choice"));
            None
        }),
    };
    let registry = match text("registry").trim() {
        "" => None,
        other => other.parse::<Registry>().ok().or_else(|| {
            issues.push(issue("registry", "invalid_choice"));
            None
        }),
    };
    let planned_sample_size = number("planned_sample_size", &mut issues);
    let planned_sites = number("planned_sites", &mut issues);
    let planned_start = date("planned_start", &mut issues);
    let planned_end = date("planned_end", &mut issues);
    let funding_amount = number("requested_support.funding_amount", &mut issues);
    let drug_quantity = number("requested_support.drug_supply.quantity", &mut issues);
    let budget_items = budget
        .into_iter()
        .map(|(i, (label, amount))| {
            let field = format!("budget_items[{i}].amount");
            let cleaned = amount.replace([',', '，', ' '], "");
            let amount = if cleaned.trim().is_empty() {
                None
            } else {
                cleaned
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| issues.push(issue(&field, "not_a_number")))
                    .ok()
            };
            BudgetItem { label, amount }
        })
        .collect();
    let currency = match text("requested_support.currency") {
        c if c.trim().is_empty() => "JPY".to_string(),
        c => c,
    };
    let content = ProposalContent {
        title: text("title"),
        acronym: text("acronym"),
        therapeutic_area: text("therapeutic_area"),
        product: text("product"),
        study_type,
        phase: text("phase"),
        background: text("background"),
        objectives: text("objectives"),
        hypothesis: text("hypothesis"),
        design: text("design"),
        primary_endpoint: text("primary_endpoint"),
        secondary_endpoints: text("secondary_endpoints")
            .lines()
            .map(str::to_string)
            .collect(),
        planned_sample_size,
        planned_sites,
        planned_start,
        planned_end,
        principal_investigator: crate::domain::proposal::PrincipalInvestigator {
            name: text("principal_investigator.name"),
            institution: text("principal_investigator.institution"),
            department: text("principal_investigator.department"),
            email: text("principal_investigator.email"),
            orcid: text("principal_investigator.orcid"),
        },
        co_investigators: co.into_values().collect(),
        requested_support: crate::domain::proposal::RequestedSupport {
            funding_amount,
            currency,
            drug_supply: Some(DrugSupply {
                product: text("requested_support.drug_supply.product"),
                quantity: drug_quantity,
                unit: text("requested_support.drug_supply.unit"),
            }),
            other: text("requested_support.other"),
        },
        budget_items,
        ethics_committee: text("ethics_committee"),
        registry,
        independence: crate::domain::proposal::Independence {
            investigator_holds_data: flag("independence.investigator_holds_data"),
            right_to_publish: flag("independence.right_to_publish"),
        },
        conflict_of_interest: crate::domain::proposal::ConflictOfInterest {
            has_coi: flag("conflict_of_interest.has_coi"),
            text: text("conflict_of_interest.text"),
        },
        publication_plan: text("publication_plan"),
        resubmission_of: text("resubmission_of"),
        notes: text("notes"),
    };
    ParsedForm {
        content,
        parse_issues: issues,
        intent: text("intent"),
        version: values.get("version").and_then(|v| v.parse().ok()),
    }
}

/// The template context for the form: flat values, list rows (plus `extra_co` / `extra_budget`
/// blank rows), and errors by field.
pub fn context(
    content: &ProposalContent,
    raw_pairs: Option<&[(String, String)]>,
    extra_co: usize,
    extra_budget: usize,
) -> Value {
    let mut form: BTreeMap<String, String> = BTreeMap::new();
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let date = |v: Option<NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
    let pi = &content.principal_investigator;
    let support = &content.requested_support;
    let drug = support.drug_supply.clone().unwrap_or_default();
    for (key, value) in [
        ("title", content.title.clone()),
        ("acronym", content.acronym.clone()),
        ("therapeutic_area", content.therapeutic_area.clone()),
        ("product", content.product.clone()),
        (
            "study_type",
            content
                .study_type
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        ),
        ("phase", content.phase.clone()),
        ("background", content.background.clone()),
        ("objectives", content.objectives.clone()),
        ("hypothesis", content.hypothesis.clone()),
        ("design", content.design.clone()),
        ("primary_endpoint", content.primary_endpoint.clone()),
        (
            "secondary_endpoints",
            content.secondary_endpoints.join("\n"),
        ),
        ("planned_sample_size", opt(content.planned_sample_size)),
        ("planned_sites", opt(content.planned_sites)),
        ("planned_start", date(content.planned_start)),
        ("planned_end", date(content.planned_end)),
        ("principal_investigator.name", pi.name.clone()),
        ("principal_investigator.institution", pi.institution.clone()),
        ("principal_investigator.department", pi.department.clone()),
        ("principal_investigator.email", pi.email.clone()),
        ("principal_investigator.orcid", pi.orcid.clone()),
        (
            "requested_support.funding_amount",
            opt(support.funding_amount),
        ),
        ("requested_support.currency", support.currency.clone()),
        (
            "requested_support.drug_supply.product",
            drug.product.clone(),
        ),
        ("requested_support.drug_supply.quantity", opt(drug.quantity)),
        ("requested_support.drug_supply.unit", drug.unit.clone()),
        ("requested_support.other", support.other.clone()),
        ("ethics_committee", content.ethics_committee.clone()),
        (
            "registry",
            content
                .registry
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
        ),
        (
            "independence.investigator_holds_data",
            content.independence.investigator_holds_data.to_string(),
        ),
        (
            "independence.right_to_publish",
            content.independence.right_to_publish.to_string(),
        ),
        (
            "conflict_of_interest.has_coi",
            content.conflict_of_interest.has_coi.to_string(),
        ),
        (
            "conflict_of_interest.text",
            content.conflict_of_interest.text.clone(),
        ),
        ("publication_plan", content.publication_plan.clone()),
        ("resubmission_of", content.resubmission_of.clone()),
        ("notes", content.notes.clone()),
    ] {
        form.insert(key.to_string(), value);
    }
    let mut co: Vec<Value> = content
        .co_investigators
        .iter()
        .map(|c| json!({"name": c.name, "institution": c.institution, "orcid": c.orcid}))
        .collect();
    let mut budget: Vec<Value> = content
        .budget_items
        .iter()
        .map(|b| json!({"label": b.label, "amount": opt(b.amount)}))
        .collect();
    // The template reads every input, list rows included, from the flat `form` map.
    for (i, c) in content.co_investigators.iter().enumerate() {
        form.insert(format!("co_investigators[{i}].name"), c.name.clone());
        form.insert(
            format!("co_investigators[{i}].institution"),
            c.institution.clone(),
        );
        form.insert(format!("co_investigators[{i}].orcid"), c.orcid.clone());
    }
    for (i, b) in content.budget_items.iter().enumerate() {
        form.insert(format!("budget_items[{i}].label"), b.label.clone());
        form.insert(format!("budget_items[{i}].amount"), opt(b.amount));
    }
    // Values the server could not parse are shown exactly as typed.
    if let Some(pairs) = raw_pairs {
        for (key, value) in pairs {
            let is_row = key.starts_with("co_investigators[") || key.starts_with("budget_items[");
            match form.get_mut(key.as_str()) {
                Some(slot) if slot.is_empty() => *slot = value.clone(),
                None if is_row => {
                    form.insert(key.clone(), value.clone());
                }
                _ => {}
            }
        }
    }
    co.extend((0..extra_co).map(|_| json!({"name": "", "institution": "", "orcid": ""})));
    if co.is_empty() {
        co.push(json!({"name": "", "institution": "", "orcid": ""}));
    }
    budget.extend((0..extra_budget).map(|_| json!({"label": "", "amount": ""})));
    if budget.is_empty() {
        budget.push(json!({"label": "", "amount": ""}));
    }
    let with_index = |rows: Vec<Value>| -> Vec<Value> {
        rows.into_iter()
            .enumerate()
            .map(|(i, mut row)| {
                row["index"] = json!(i);
                row
            })
            .collect()
    };
    json!({
        "form": form,
        // The required marks come from the submit check itself (one source).
        "required_fields": content.required_fields(),
        "co_investigators": with_index(co),
        "budget_items": with_index(budget),
        "options": {
            "study_types": STUDY_TYPES,
            "registries": ["jrct", "nct", "umin", "other"],
            "currencies": CURRENCIES,
        },
    })
}

/// Localised messages by field, for the template.
pub fn localise(issues: &[FieldIssue], lang: Lang) -> BTreeMap<String, String> {
    let mut errors = BTreeMap::new();
    for issue in issues {
        // `err.too_large` is the upload message; amounts have their own.
        let key = match issue.code {
            "too_large" => "err.amount_too_large".to_string(),
            code => format!("err.{code}"),
        };
        let message = translate(lang, &key).replace("{max}", &issue.max.unwrap_or(0).to_string());
        errors.entry(issue.field.clone()).or_insert(message);
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn indexed_rows_and_nested_names_are_read() {
        let parsed = parse(&pairs(&[
            ("title", "試験"),
            ("co_investigators[1].name", "佐藤"),
            ("co_investigators[0].name", "鈴木"),
            ("budget_items[0].label", "モニタリング"),
            ("budget_items[0].amount", "1,200,000"),
            ("principal_investigator.orcid", "0000-0002-1825-0097"),
            ("independence.right_to_publish", "true"),
            ("intent", "save"),
        ]));
        assert!(parsed.parse_issues.is_empty());
        let c = parsed.content;
        assert_eq!(c.co_investigators[0].name, "鈴木");
        assert_eq!(c.co_investigators[1].name, "佐藤");
        assert_eq!(c.budget_items[0].amount, Some(1_200_000));
        assert!(c.independence.right_to_publish);
        assert!(!c.independence.investigator_holds_data);
        assert_eq!(parsed.intent, "save");
    }

    #[test]
    fn unreadable_numbers_and_dates_are_reported_by_field() {
        let parsed = parse(&pairs(&[
            ("planned_sample_size", "百二十"),
            ("planned_start", "2027/04/01"),
        ]));
        let fields: Vec<&str> = parsed
            .parse_issues
            .iter()
            .map(|i| i.field.as_str())
            .collect();
        assert_eq!(fields, vec!["planned_sample_size", "planned_start"]);
    }
}
