//! The proposal's content (docs/PRODUCT.md#the-proposal), its completeness check and the diff
//! between rounds. Drafts may be incomplete; `check_complete` decides whether one may be submitted
//! and normalises identifiers on the way.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::identifiers::{Orcid, Registry};
use crate::domain::money;
use crate::domain::reference::parse_reference;

pub const TITLE_MAX: usize = 300;
pub const SHORT_MAX: usize = 200;
pub const LONG_MAX: usize = 20_000;
pub const CURRENCIES: &[&str] = &[
    "JPY", "USD", "EUR", "GBP", "CHF", "CNY", "KRW", "TWD", "SGD", "AUD", "CAD",
];
pub const STUDY_TYPES: &[&str] = &[
    "interventional",
    "observational",
    "retrospective",
    "registry",
    "basic",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StudyType {
    Interventional,
    Observational,
    Retrospective,
    Registry,
    Basic,
}

impl StudyType {
    pub fn parse(text: &str) -> Option<StudyType> {
        serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StudyType::Interventional => "interventional",
            StudyType::Observational => "observational",
            StudyType::Retrospective => "retrospective",
            StudyType::Registry => "registry",
            StudyType::Basic => "basic",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PrincipalInvestigator {
    pub name: String,
    pub institution: String,
    pub department: String,
    pub email: String,
    /// ORCID iD, normalised to `0000-0002-1825-0097` form.
    pub orcid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CoInvestigator {
    pub name: String,
    pub institution: String,
    pub orcid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DrugSupply {
    pub product: String,
    pub quantity: Option<i64>,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RequestedSupport {
    /// Whole units of `currency` (yen for JPY).
    pub funding_amount: Option<i64>,
    /// ISO 4217 code.
    pub currency: String,
    pub drug_supply: Option<DrugSupply>,
    pub other: String,
}

impl Default for RequestedSupport {
    fn default() -> Self {
        RequestedSupport {
            funding_amount: None,
            currency: "JPY".into(),
            drug_supply: None,
            other: String::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetItem {
    pub label: String,
    pub amount: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Independence {
    pub investigator_holds_data: bool,
    pub right_to_publish: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ConflictOfInterest {
    pub has_coi: bool,
    pub text: String,
}

/// Everything the investigator writes. Every field may be empty in a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProposalContent {
    pub title: String,
    pub acronym: String,
    pub therapeutic_area: String,
    pub product: String,
    pub study_type: Option<StudyType>,
    pub phase: String,
    pub background: String,
    pub objectives: String,
    pub hypothesis: String,
    pub design: String,
    pub primary_endpoint: String,
    pub secondary_endpoints: Vec<String>,
    pub planned_sample_size: Option<i64>,
    pub planned_sites: Option<i64>,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub principal_investigator: PrincipalInvestigator,
    pub co_investigators: Vec<CoInvestigator>,
    pub requested_support: RequestedSupport,
    pub budget_items: Vec<BudgetItem>,
    /// The IRB / certified review board (認定臨床研究審査委員会) that will review the study.
    pub ethics_committee: String,
    #[schema(value_type = Option<String>, example = "jrct")]
    pub registry: Option<Registry>,
    pub independence: Independence,
    pub conflict_of_interest: ConflictOfInterest,
    pub publication_plan: String,
    pub resubmission_of: String,
    pub notes: String,
}

/// One problem with one field: a path such as `co_investigators[1].orcid` and a stable code
/// (`required`, `too_long`, `format`, `check_digit`, `range`, `date_order`, `must_be_true`,
/// `invalid_choice`, `email`, `too_large`). Messages are chosen by the caller, in the caller's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    pub field: String,
    pub code: &'static str,
    pub max: Option<usize>,
}

impl FieldIssue {
    fn new(field: impl Into<String>, code: &'static str) -> Self {
        FieldIssue {
            field: field.into(),
            code,
            max: None,
        }
    }

    /// English detail for the JSON API.
    pub fn english(&self) -> String {
        match self.code {
            "required" => "is required".into(),
            "too_long" => format!("must be at most {} characters", self.max.unwrap_or(0)),
            "format" => "has an invalid format".into(),
            "check_digit" => "has a wrong check digit".into(),
            "range" => "is out of range".into(),
            "date_order" => "must be after the planned start".into(),
            "must_be_true" => "must be confirmed".into(),
            "invalid_choice" => "is not one of the allowed values".into(),
            "email" => "is not an email address".into(),
            "too_large" => format!("must be at most {}", money::AMOUNT_MAX),
            other => other.to_string(),
        }
    }
}

impl ProposalContent {
    /// Trims text, drops empty list rows and normalises identifiers that parse. Used on every
    /// save so drafts are stored tidy.
    pub fn tidy(mut self) -> ProposalContent {
        for text in [
            &mut self.title,
            &mut self.acronym,
            &mut self.therapeutic_area,
            &mut self.product,
            &mut self.phase,
            &mut self.ethics_committee,
            &mut self.resubmission_of,
            &mut self.principal_investigator.name,
            &mut self.principal_investigator.institution,
            &mut self.principal_investigator.department,
            &mut self.principal_investigator.email,
            &mut self.requested_support.currency,
        ] {
            *text = text.trim().to_string();
        }
        self.requested_support.currency = self.requested_support.currency.to_uppercase();
        self.secondary_endpoints = self
            .secondary_endpoints
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        self.co_investigators.retain(|c| {
            !(c.name.trim().is_empty()
                && c.institution.trim().is_empty()
                && c.orcid.trim().is_empty())
        });
        self.budget_items
            .retain(|b| !(b.label.trim().is_empty() && b.amount.is_none()));
        if let Some(drug) = &self.requested_support.drug_supply
            && drug.product.trim().is_empty()
            && drug.quantity.is_none()
            && drug.unit.trim().is_empty()
        {
            self.requested_support.drug_supply = None;
        }
        normalise_orcid(&mut self.principal_investigator.orcid);
        for co in &mut self.co_investigators {
            normalise_orcid(&mut co.orcid);
        }
        self
    }

    /// The fields [`check_complete`](Self::check_complete) calls missing when left empty, given
    /// this content's choices once tidied (the study type, a declared conflict of interest, a
    /// drug supply request). The proposal form marks exactly these as required (必須), so the
    /// marks and the submit check cannot disagree. Of the list rows only the first budget item
    /// is required; a co-investigator or a further budget row needs its fields once it is used.
    pub fn required_fields(&self) -> BTreeSet<String> {
        let chosen = self.clone().tidy();
        let blank = ProposalContent {
            study_type: chosen.study_type,
            conflict_of_interest: ConflictOfInterest {
                has_coi: chosen.conflict_of_interest.has_coi,
                text: String::new(),
            },
            requested_support: RequestedSupport {
                funding_amount: None,
                currency: String::new(),
                drug_supply: chosen
                    .requested_support
                    .drug_supply
                    .as_ref()
                    .map(|_| DrugSupply::default()),
                other: String::new(),
            },
            budget_items: vec![BudgetItem::default()],
            ..ProposalContent::default()
        };
        // The study type is itself required: ask once more with nothing chosen.
        let nothing_chosen = ProposalContent {
            study_type: None,
            ..blank.clone()
        };
        blank
            .check_complete()
            .into_iter()
            .chain(nothing_chosen.check_complete())
            .filter(|issue| matches!(issue.code, "required" | "must_be_true" | "invalid_choice"))
            .map(|issue| issue.field)
            .collect()
    }

    /// The completeness check for submission: every problem, not just the first.
    pub fn check_complete(&self) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        let mut text = |field: &str, value: &str, max: usize, required: bool| {
            let chars = value.chars().count();
            if required && value.trim().is_empty() {
                issues.push(FieldIssue::new(field, "required"));
            } else if chars > max {
                issues.push(FieldIssue {
                    field: field.into(),
                    code: "too_long",
                    max: Some(max),
                });
            }
        };
        text("title", &self.title, TITLE_MAX, true);
        text("acronym", &self.acronym, 50, false);
        text("therapeutic_area", &self.therapeutic_area, SHORT_MAX, true);
        text("product", &self.product, SHORT_MAX, true);
        let interventional = self.study_type == Some(StudyType::Interventional);
        text("phase", &self.phase, 20, interventional);
        text("background", &self.background, LONG_MAX, true);
        text("objectives", &self.objectives, LONG_MAX, true);
        text("hypothesis", &self.hypothesis, LONG_MAX, true);
        text("design", &self.design, LONG_MAX, true);
        text("primary_endpoint", &self.primary_endpoint, LONG_MAX, true);
        let pi = &self.principal_investigator;
        text("principal_investigator.name", &pi.name, SHORT_MAX, true);
        text(
            "principal_investigator.institution",
            &pi.institution,
            SHORT_MAX,
            true,
        );
        text(
            "principal_investigator.department",
            &pi.department,
            SHORT_MAX,
            true,
        );
        text("ethics_committee", &self.ethics_committee, SHORT_MAX, true);
        text("publication_plan", &self.publication_plan, LONG_MAX, true);
        text(
            "requested_support.other",
            &self.requested_support.other,
            LONG_MAX,
            false,
        );
        text("notes", &self.notes, LONG_MAX, false);
        for (i, co) in self.co_investigators.iter().enumerate() {
            text(
                &format!("co_investigators[{i}].name"),
                &co.name,
                SHORT_MAX,
                true,
            );
            text(
                &format!("co_investigators[{i}].institution"),
                &co.institution,
                SHORT_MAX,
                true,
            );
        }
        for (i, item) in self.budget_items.iter().enumerate() {
            text(
                &format!("budget_items[{i}].label"),
                &item.label,
                SHORT_MAX,
                true,
            );
        }
        if self.conflict_of_interest.has_coi {
            text(
                "conflict_of_interest.text",
                &self.conflict_of_interest.text,
                LONG_MAX,
                true,
            );
        }

        if self.study_type.is_none() {
            issues.push(FieldIssue::new("study_type", "required"));
        }
        if self.secondary_endpoints.iter().all(|s| s.trim().is_empty()) {
            issues.push(FieldIssue::new("secondary_endpoints", "required"));
        }
        positive(&mut issues, "planned_sample_size", self.planned_sample_size);
        positive(&mut issues, "planned_sites", self.planned_sites);
        match (self.planned_start, self.planned_end) {
            (Some(start), Some(end)) if start >= end => {
                issues.push(FieldIssue::new("planned_end", "date_order"))
            }
            (start, end) => {
                if start.is_none() {
                    issues.push(FieldIssue::new("planned_start", "required"));
                }
                if end.is_none() {
                    issues.push(FieldIssue::new("planned_end", "required"));
                }
            }
        }
        if pi.email.trim().is_empty() {
            issues.push(FieldIssue::new("principal_investigator.email", "required"));
        } else if !looks_like_email(&pi.email) {
            issues.push(FieldIssue::new("principal_investigator.email", "email"));
        }
        orcid_issue(&mut issues, "principal_investigator.orcid", &pi.orcid, true);
        for (i, co) in self.co_investigators.iter().enumerate() {
            orcid_issue(
                &mut issues,
                &format!("co_investigators[{i}].orcid"),
                &co.orcid,
                false,
            );
        }
        let support = &self.requested_support;
        match support.funding_amount {
            None => issues.push(FieldIssue::new(
                "requested_support.funding_amount",
                "required",
            )),
            Some(amount) if !money::within_bound(amount) => issues.push(FieldIssue::new(
                "requested_support.funding_amount",
                "too_large",
            )),
            Some(amount) if amount < 0 => {
                issues.push(FieldIssue::new("requested_support.funding_amount", "range"))
            }
            Some(_) => {}
        }
        if !CURRENCIES.contains(&support.currency.as_str()) {
            issues.push(FieldIssue::new(
                "requested_support.currency",
                "invalid_choice",
            ));
        }
        if let Some(drug) = &support.drug_supply {
            if drug.product.trim().is_empty() {
                issues.push(FieldIssue::new(
                    "requested_support.drug_supply.product",
                    "required",
                ));
            }
            positive(
                &mut issues,
                "requested_support.drug_supply.quantity",
                drug.quantity,
            );
            if drug.unit.trim().is_empty() {
                issues.push(FieldIssue::new(
                    "requested_support.drug_supply.unit",
                    "required",
                ));
            }
        }
        if self.budget_items.is_empty() {
            issues.push(FieldIssue::new("budget_items[0].label", "required"));
        }
        for (i, item) in self.budget_items.iter().enumerate() {
            match item.amount {
                None => issues.push(FieldIssue::new(
                    format!("budget_items[{i}].amount"),
                    "required",
                )),
                Some(a) if !money::within_bound(a) => issues.push(FieldIssue::new(
                    format!("budget_items[{i}].amount"),
                    "too_large",
                )),
                Some(a) if a < 0 => issues.push(FieldIssue::new(
                    format!("budget_items[{i}].amount"),
                    "range",
                )),
                Some(_) => {}
            }
        }
        // Each item within the bound can still add up beyond it.
        let amounts = || self.budget_items.iter().filter_map(|b| b.amount);
        if amounts().all(money::within_bound) && self.budget_total().is_none() {
            issues.push(FieldIssue::new("budget_total", "too_large"));
        }
        if self.registry.is_none() {
            issues.push(FieldIssue::new("registry", "required"));
        }
        if !self.independence.investigator_holds_data {
            issues.push(FieldIssue::new(
                "independence.investigator_holds_data",
                "must_be_true",
            ));
        }
        if !self.independence.right_to_publish {
            issues.push(FieldIssue::new(
                "independence.right_to_publish",
                "must_be_true",
            ));
        }
        if !self.resubmission_of.trim().is_empty()
            && parse_reference(&self.resubmission_of).is_none()
        {
            issues.push(FieldIssue::new("resubmission_of", "format"));
        }
        issues
    }

    /// The sum of the budget items, `None` when it is beyond `money::AMOUNT_MAX` (only rows
    /// stored before the bound was checked can be): shown as "—", never wrapped.
    pub fn budget_total(&self) -> Option<i64> {
        money::bounded_total(self.budget_items.iter().filter_map(|b| b.amount))
    }
}

fn positive(issues: &mut Vec<FieldIssue>, field: &str, value: Option<i64>) {
    match value {
        None => issues.push(FieldIssue::new(field, "required")),
        Some(v) if v <= 0 => issues.push(FieldIssue::new(field, "range")),
        Some(_) => {}
    }
}

fn orcid_issue(issues: &mut Vec<FieldIssue>, field: &str, value: &str, required: bool) {
    if value.trim().is_empty() {
        if required {
            issues.push(FieldIssue::new(field, "required"));
        }
        return;
    }
    if let Err(error) = Orcid::parse(value) {
        issues.push(FieldIssue::new(field, error.code()));
    }
}

fn normalise_orcid(value: &mut String) {
    if let Ok(orcid) = Orcid::parse(value) {
        *value = orcid.to_string();
    } else {
        *value = value.trim().to_string();
    }
}

/// Deliberately loose: one `@`, something on each side, a dot in the domain, no spaces.
pub fn looks_like_email(value: &str) -> bool {
    let value = value.trim();
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.contains(char::is_whitespace)
                && !value.contains(char::is_control)
                && !domain.contains('@')
        }
        None => false,
    }
}

/// One changed leaf between two rounds, by path (`co_investigators[0].name`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

/// Field-by-field differences between two contents, in path order.
pub fn diff(before: &ProposalContent, after: &ProposalContent) -> Vec<FieldChange> {
    let mut left = BTreeMap::new();
    let mut right = BTreeMap::new();
    flatten(
        "",
        &serde_json::to_value(before).unwrap_or_default(),
        &mut left,
    );
    flatten(
        "",
        &serde_json::to_value(after).unwrap_or_default(),
        &mut right,
    );
    let mut fields: Vec<&String> = left.keys().chain(right.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|field| {
            let b = left.get(field).cloned().unwrap_or(serde_json::Value::Null);
            let a = right.get(field).cloned().unwrap_or(serde_json::Value::Null);
            (a != b).then(|| FieldChange {
                field: field.clone(),
                before: b,
                after: a,
            })
        })
        .collect()
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, serde_json::Value>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, child, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), child, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A complete, valid proposal (used by other tests too).
    pub fn complete() -> ProposalContent {
        ProposalContent {
            title: "2型糖尿病患者におけるリラグルチドの腎保護効果".into(),
            therapeutic_area: "糖尿病".into(),
            product: "LIA-101".into(),
            study_type: Some(StudyType::Interventional),
            phase: "IV".into(),
            background: "背景".into(),
            objectives: "目的".into(),
            hypothesis: "仮説".into(),
            design: "多施設共同無作為化比較試験".into(),
            primary_endpoint: "eGFR の変化量".into(),
            secondary_endpoints: vec!["HbA1c".into()],
            planned_sample_size: Some(120),
            planned_sites: Some(8),
            planned_start: NaiveDate::from_ymd_opt(2027, 4, 1),
            planned_end: NaiveDate::from_ymd_opt(2029, 3, 31),
            principal_investigator: PrincipalInvestigator {
                name: "山田 太郎".into(),
                institution: "東都大学病院".into(),
                department: "腎臓内科".into(),
                email: "yamada@example.jp".into(),
                orcid: "0000-0002-1825-0097".into(),
            },
            co_investigators: vec![CoInvestigator {
                name: "佐藤 花子".into(),
                institution: "東都大学病院".into(),
                orcid: String::new(),
            }],
            requested_support: RequestedSupport {
                funding_amount: Some(15_000_000),
                currency: "JPY".into(),
                drug_supply: None,
                other: String::new(),
            },
            budget_items: vec![BudgetItem {
                label: "データ管理".into(),
                amount: Some(5_000_000),
            }],
            ethics_committee: "東都大学臨床研究審査委員会".into(),
            registry: Some(Registry::Jrct),
            independence: Independence {
                investigator_holds_data: true,
                right_to_publish: true,
            },
            conflict_of_interest: ConflictOfInterest::default(),
            publication_plan: "国際学会で発表し論文化する".into(),
            ..ProposalContent::default()
        }
    }

    fn fields(issues: &[FieldIssue]) -> Vec<&str> {
        issues.iter().map(|i| i.field.as_str()).collect()
    }

    #[test]
    fn a_complete_proposal_has_no_issues() {
        assert_eq!(complete().check_complete(), vec![]);
    }

    #[test]
    fn an_empty_draft_lists_every_required_field() {
        let issues = ProposalContent::default().check_complete();
        let fields = fields(&issues);
        for required in [
            "title",
            "therapeutic_area",
            "product",
            "study_type",
            "background",
            "objectives",
            "hypothesis",
            "design",
            "primary_endpoint",
            "secondary_endpoints",
            "planned_sample_size",
            "planned_sites",
            "planned_start",
            "planned_end",
            "principal_investigator.name",
            "principal_investigator.email",
            "principal_investigator.orcid",
            "requested_support.funding_amount",
            "budget_items[0].label",
            "ethics_committee",
            "registry",
            "independence.investigator_holds_data",
            "independence.right_to_publish",
            "publication_plan",
        ] {
            assert!(
                fields.contains(&required),
                "{required} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn budget_amounts_and_their_total_are_bounded_and_never_wrap() {
        let with_items = |amounts: &[i64]| {
            let mut p = complete();
            p.budget_items = amounts
                .iter()
                .map(|a| BudgetItem {
                    label: "item".into(),
                    amount: Some(*a),
                })
                .collect();
            p
        };
        let issues = |p: &ProposalContent| {
            p.check_complete()
                .into_iter()
                .map(|i| (i.field, i.code))
                .collect::<Vec<_>>()
        };
        // The reported case: two items of i64::MAX printed "Total -2 JPY".
        let huge = with_items(&[i64::MAX, i64::MAX]);
        assert_eq!(huge.budget_total(), None);
        assert_eq!(
            issues(&huge),
            vec![
                ("budget_items[0].amount".to_string(), "too_large"),
                ("budget_items[1].amount".to_string(), "too_large"),
            ]
        );
        // Items within the bound whose total is not.
        let half = money::AMOUNT_MAX / 2 + 1;
        let over = with_items(&[half, half]);
        assert_eq!(over.budget_total(), None);
        assert_eq!(
            issues(&over),
            vec![("budget_total".to_string(), "too_large")]
        );
        let at = with_items(&[money::AMOUNT_MAX - 1, 1]);
        assert_eq!(at.budget_total(), Some(money::AMOUNT_MAX));
        assert!(issues(&at).is_empty());
        let mut funding = complete();
        funding.requested_support.funding_amount = Some(money::AMOUNT_MAX + 1);
        assert_eq!(
            issues(&funding),
            vec![("requested_support.funding_amount".to_string(), "too_large")]
        );
    }

    #[test]
    fn required_fields_follow_the_choices_made() {
        let empty = ProposalContent::default().required_fields();
        assert!(empty.contains("principal_investigator.department"));
        assert!(empty.contains("study_type"));
        assert!(empty.contains("budget_items[0].amount"));
        assert!(empty.contains("requested_support.currency"));
        assert!(!empty.contains("phase"));
        assert!(!empty.contains("acronym"));
        assert!(!empty.contains("conflict_of_interest.text"));
        assert!(!empty.contains("requested_support.drug_supply.product"));
        let chosen = complete().required_fields();
        assert!(chosen.contains("phase"), "interventional: {chosen:?}");
        assert!(chosen.contains("study_type"));
        let mut coi = complete();
        coi.conflict_of_interest.has_coi = true;
        assert!(coi.required_fields().contains("conflict_of_interest.text"));
    }

    #[test]
    fn a_title_over_300_characters_is_too_long_counting_characters_not_bytes() {
        let mut p = complete();
        p.title = "あ".repeat(300);
        assert_eq!(p.check_complete(), vec![]);
        p.title = "あ".repeat(301);
        assert_eq!(p.check_complete()[0].code, "too_long");
    }

    #[test]
    fn start_must_be_before_end_and_counts_positive() {
        let mut p = complete();
        p.planned_end = p.planned_start;
        p.planned_sample_size = Some(0);
        let issues = p.check_complete();
        assert!(issues.contains(&FieldIssue::new("planned_end", "date_order")));
        assert!(issues.contains(&FieldIssue::new("planned_sample_size", "range")));
    }

    #[test]
    fn phase_is_required_only_for_interventional_studies() {
        let mut p = complete();
        p.phase.clear();
        assert_eq!(fields(&p.check_complete()), vec!["phase"]);
        p.study_type = Some(StudyType::Observational);
        assert_eq!(p.check_complete(), vec![]);
    }

    #[test]
    fn a_conflict_of_interest_needs_its_text() {
        let mut p = complete();
        p.conflict_of_interest.has_coi = true;
        assert_eq!(
            fields(&p.check_complete()),
            vec!["conflict_of_interest.text"]
        );
    }

    #[test]
    fn a_bad_orcid_reports_its_check_digit() {
        let mut p = complete();
        p.principal_investigator.orcid = "0000-0002-1825-0098".into();
        let issues = p.check_complete();
        assert_eq!(issues[0].field, "principal_investigator.orcid");
        assert_eq!(issues[0].code, "check_digit");
    }

    #[test]
    fn tidy_strips_orcid_urls_and_drops_empty_rows() {
        let mut p = complete();
        p.principal_investigator.orcid = "https://orcid.org/0000-0002-1825-0097".into();
        p.co_investigators.push(CoInvestigator::default());
        p.secondary_endpoints.push("  ".into());
        let p = p.tidy();
        assert_eq!(p.principal_investigator.orcid, "0000-0002-1825-0097");
        assert_eq!(p.co_investigators.len(), 1);
        assert_eq!(p.secondary_endpoints.len(), 1);
    }

    #[test]
    fn diff_lists_changed_leaves_by_path() {
        let a = complete();
        let mut b = complete();
        b.title = "新しい題名".into();
        b.co_investigators[0].name = "鈴木 一郎".into();
        let changes = diff(&a, &b);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["co_investigators[0].name", "title"]);
        assert_eq!(changes[1].after, serde_json::json!("新しい題名"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let result: Result<ProposalContent, _> =
            serde_json::from_value(serde_json::json!({"title": "x", "colour": "red"}));
        assert!(result.is_err());
    }

    #[test]
    fn an_address_with_a_control_character_is_no_address() {
        assert!(looks_like_email("a@example.jp"));
        assert!(!looks_like_email("a\u{0}@example.jp"));
        assert!(!looks_like_email("a@example.jp\u{1b}"));
    }
}
