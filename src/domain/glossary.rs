//! The programme's terms in Japanese and English, in one table: web pages, emails, PDFs, CSV
//! exports and the outbox page take them from here (`templates::translate` answers these keys
//! before the message catalogs, which must not define them again). Before this table the same
//! thing had two names in different outputs (整理番号 / 受付番号, 研究開始の要件 / 活動開始の要件,
//! 継続審議 / 保留); [`RETIRED`] lists those old names, and a test checks that no output uses
//! them.

use super::Lang;

/// One term: its key (as used with `t(…)` in templates and `translate` in code) and its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub key: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
}

impl Term {
    pub fn word(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.ja,
            Lang::En => self.en,
        }
    }
}

const fn term(key: &'static str, ja: &'static str, en: &'static str) -> Term {
    Term { key, ja, en }
}

pub const TERMS: &[Term] = &[
    // What a proposal and a study are called by.
    term("term.reference", "整理番号", "Reference"),
    term(
        "term.activation_requirements",
        "研究開始の要件",
        "Activation requirements",
    ),
    term("term.title", "研究課題名", "Study title"),
    term(
        "term.investigator",
        "研究責任医師",
        "Principal investigator",
    ),
    term("term.institution", "所属機関", "Institution"),
    term("term.status", "状態", "Status"),
    term("term.registry_id", "登録番号", "Registry ID"),
    term("term.milestone", "マイルストーン", "Milestone"),
    term("term.due_on", "期限", "Due"),
    term("term.completed_on", "完了日", "Completed on"),
    term("term.overdue_days", "超過日数", "Days overdue"),
    term("term.fiscal_year", "年度", "Fiscal year"),
    term("term.contracts", "契約件数", "Contracts"),
    term("term.total_paid", "支払総額", "Total paid"),
    term("term.currency", "通貨", "Currency"),
    // Proposal statuses.
    term("status.draft", "下書き", "Draft"),
    term("status.submitted", "提出済み", "Submitted"),
    term("status.under_review", "審査中", "Under review"),
    term(
        "status.revision_requested",
        "修正依頼",
        "Revision requested",
    ),
    term("status.approved", "承認", "Approved"),
    term("status.rejected", "不承認", "Rejected"),
    term("status.active", "実施中", "Active"),
    term("status.completed", "完了", "Completed"),
    term("status.closed", "終了", "Closed"),
    term("status.terminated", "中止", "Terminated"),
    term("status.withdrawn", "取り下げ", "Withdrawn"),
    // Lifecycle actions (buttons and the events of the proposal's timeline).
    term("action.create", "作成", "Create"),
    term("action.edit", "編集", "Edit"),
    term("action.submit", "提出", "Submit"),
    term("action.start_review", "審査開始", "Start review"),
    term("action.approve", "承認", "Approve"),
    term(
        "action.approve_with_conditions",
        "条件付き承認",
        "Approve with conditions",
    ),
    term(
        "action.revise_and_resubmit",
        "修正の上再提出",
        "Revise and resubmit",
    ),
    term("action.defer", "継続審議", "Defer"),
    term("action.reject", "不承認", "Reject"),
    term("action.activate", "研究開始", "Activate"),
    term("action.complete", "研究完了", "Complete"),
    term("action.close", "終了", "Close"),
    term("action.terminate", "中止", "Terminate"),
    term("action.withdraw", "取り下げ", "Withdraw"),
    // Decision outcomes and recommendations: the same words as the decision buttons.
    term("outcome.approve", "承認", "Approve"),
    term(
        "outcome.approve_with_conditions",
        "条件付き承認",
        "Approve with conditions",
    ),
    term(
        "outcome.revise_and_resubmit",
        "修正の上再提出",
        "Revise and resubmit",
    ),
    term("outcome.defer", "継続審議", "Defer"),
    term("outcome.reject", "不承認", "Reject"),
    // Milestone kinds; the three activation requirements carry the same names.
    term("milestone.contract_signed", "契約締結", "Contract signed"),
    term(
        "milestone.ethics_approved",
        "倫理審査承認",
        "Ethics approval",
    ),
    term(
        "milestone.registered",
        "jRCT等への登録",
        "Registration (jRCT etc.)",
    ),
    term("milestone.drug_shipped", "薬剤出荷", "Study drug shipped"),
    term(
        "milestone.first_patient_in",
        "最初の症例登録 (FPI)",
        "First patient in (FPI)",
    ),
    term(
        "milestone.last_patient_out",
        "最終症例の観察終了 (LPO)",
        "Last patient out (LPO)",
    ),
    term(
        "milestone.database_lock",
        "データベース固定",
        "Database lock",
    ),
    term("milestone.final_report", "総括報告書", "Final study report"),
    term("milestone.periodic_report", "定期報告", "Periodic report"),
    term("milestone.closeout", "終了手続き", "Close-out"),
    term("milestone.custom", "その他", "Other"),
    term("gate.contract_signed", "契約締結", "Contract signed"),
    term("gate.ethics_approved", "倫理審査承認", "Ethics approval"),
    term(
        "gate.registered",
        "jRCT等への登録",
        "Registration (jRCT etc.)",
    ),
    // Outbox events: the emails…
    term("event.sign_in_link", "サインイン用リンク", "Sign-in link"),
    term(
        "event.verify_email",
        "メールアドレスの確認",
        "Email verification",
    ),
    term(
        "event.submission_receipt",
        "提出の受付",
        "Submission receipt",
    ),
    term(
        "event.new_submission",
        "新しい研究提案の提出",
        "New submission",
    ),
    term("event.review_request", "審査の依頼", "Review request"),
    term("event.decision", "審査結果の通知", "Decision letter"),
    term("event.advice_posted", "助言・返信", "Advice posted"),
    term("event.msl_needed", "MSL割り当ての依頼", "Assign an MSL"),
    term(
        "event.milestone_reminder",
        "マイルストーンのリマインダー",
        "Milestone reminder",
    ),
    term(
        "event.milestone_escalation",
        "マイルストーン期限超過の連絡",
        "Milestone escalation",
    ),
    term(
        "event.study_activated",
        "研究開始のお知らせ",
        "Study activated",
    ),
    // …and the webhook events.
    term(
        "event.proposal.status_changed",
        "状態の変更（Webhook）",
        "Status changed (webhook)",
    ),
    term(
        "event.milestone.created",
        "マイルストーンの追加（Webhook）",
        "Milestone added (webhook)",
    ),
    term(
        "event.milestone.updated",
        "マイルストーンの更新（Webhook）",
        "Milestone updated (webhook)",
    ),
    term("event.ping", "接続確認（Webhook）", "Ping (webhook)"),
];

/// How an export (CSV) writes its column names and coded values: in the reader's language from
/// this glossary, or as the stable codes (`first_patient_in`) for programs that read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    Codes,
    Words(Lang),
}

impl Labels {
    /// The header of column `code` (`reference` → 整理番号 / Reference, from `term.<code>`).
    pub fn column(self, code: &str) -> String {
        self.word(&format!("term.{code}"), code)
    }

    /// A coded value of `kind` (`status`, `milestone`…): `milestone.first_patient_in` →
    /// 最初の症例登録 (FPI). A code the glossary does not know stays as it is.
    pub fn value(self, kind: &str, code: &str) -> String {
        self.word(&format!("{kind}.{code}"), code)
    }

    fn word(self, key: &str, code: &str) -> String {
        match self {
            Labels::Codes => code.to_string(),
            Labels::Words(lang) => lookup(lang, key).unwrap_or(code).to_string(),
        }
    }
}

/// A word that once named a glossary term in some output and must not come back.
#[derive(Debug, Clone, Copy)]
pub struct Retired {
    pub lang: Lang,
    pub word: &'static str,
    /// The key of the term to use instead.
    pub use_instead: &'static str,
}

const fn retired(lang: Lang, word: &'static str, use_instead: &'static str) -> Retired {
    Retired {
        lang,
        word,
        use_instead,
    }
}

pub const RETIRED: &[Retired] = &[
    retired(Lang::Ja, "受付番号", "term.reference"),
    retired(Lang::Ja, "活動開始の要件", "term.activation_requirements"),
    retired(Lang::En, "Activation gates", "term.activation_requirements"),
    retired(Lang::Ja, "保留", "outcome.defer"),
    retired(Lang::Ja, "却下", "outcome.reject"),
    retired(Lang::Ja, "修正後再提出", "outcome.revise_and_resubmit"),
    retired(Lang::En, "Not approved", "outcome.reject"),
];

/// Older catalog keys the page templates still use for a term.
pub const ALIASES: &[(&str, &str)] = &[
    ("proposal.reference", "term.reference"),
    ("gate.title", "term.activation_requirements"),
];

/// The glossary's word for `key` (or an alias of it), or `None` when `key` is not a term.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    let key = ALIASES
        .iter()
        .find(|(alias, _)| *alias == key)
        .map_or(key, |(_, term)| *term);
    TERMS.iter().find(|t| t.key == key).map(|t| t.word(lang))
}

/// The retired words of `lang` that `text` contains.
pub fn retired_words_in(lang: Lang, text: &str) -> Vec<&'static str> {
    RETIRED
        .iter()
        .filter(|r| r.lang == lang && text.contains(r.word))
        .map(|r| r.word)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_every_term_has_both_words() {
        let mut keys: Vec<&str> = TERMS.iter().map(|t| t.key).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key is defined twice");
        for t in TERMS {
            assert!(
                !t.ja.trim().is_empty() && !t.en.trim().is_empty(),
                "{}",
                t.key
            );
        }
    }

    #[test]
    fn no_term_uses_a_retired_word_and_every_retired_word_points_at_a_term() {
        for r in RETIRED {
            assert!(lookup(r.lang, r.use_instead).is_some(), "{}", r.use_instead);
        }
        for t in TERMS {
            for lang in [Lang::Ja, Lang::En] {
                assert_eq!(
                    retired_words_in(lang, t.word(lang)),
                    Vec::<&str>::new(),
                    "{}",
                    t.key
                );
            }
        }
    }

    #[test]
    fn labels_translate_values_and_codes_stay_codes() {
        // The column lists themselves are checked in workflows::study::exports.
        assert_eq!(
            Labels::Words(Lang::Ja).value("milestone", "first_patient_in"),
            "最初の症例登録 (FPI)"
        );
        assert_eq!(Labels::Words(Lang::En).column("reference"), "Reference");
        assert_eq!(
            Labels::Codes.value("milestone", "first_patient_in"),
            "first_patient_in"
        );
    }

    #[test]
    fn the_defer_button_and_the_defer_outcome_say_the_same() {
        for lang in [Lang::Ja, Lang::En] {
            for outcome in [
                "approve",
                "approve_with_conditions",
                "revise_and_resubmit",
                "defer",
            ] {
                assert_eq!(
                    lookup(lang, &format!("action.{outcome}")),
                    lookup(lang, &format!("outcome.{outcome}")),
                    "{outcome}"
                );
            }
        }
        assert_eq!(lookup(Lang::Ja, "outcome.reject"), Some("不承認"));
        assert_eq!(lookup(Lang::Ja, "status.rejected"), Some("不承認"));
    }
}
