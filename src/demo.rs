//! `liaison demo`: a small, realistic bilingual programme for a first look.

use anyhow::anyhow;
use chrono::NaiveDate;

use crate::auth::Principal;
use crate::auth::password;
use crate::config::Settings;
use crate::db::{self, DbConnection};
use crate::domain::identifiers::Registry;
use crate::domain::lifecycle::Action;
use crate::domain::proposal::{
    BudgetItem, CoInvestigator, Independence, PrincipalInvestigator, ProposalContent,
    RequestedSupport, StudyType,
};
use crate::domain::{Lang, Role};
use crate::error::AppError;
use crate::store::audit::Actor;
use crate::store::users;
use crate::workflows::msl as msl_workflow;
use crate::workflows::proposals as workflow;
use crate::workflows::review;
use crate::workflows::users::{self as user_workflows, CreateUser};

pub const DEMO_PASSWORD: &str = "liaison-demo-2026";

const PEOPLE: &[(&str, &str, Role, Lang)] = &[
    (
        "admin@demo.liaison.test",
        "管理者 佐々木",
        Role::Admin,
        Lang::Ja,
    ),
    (
        "chair@demo.liaison.test",
        "委員長 高橋 誠",
        Role::Chair,
        Lang::Ja,
    ),
    (
        "reviewer1@demo.liaison.test",
        "審査員 伊藤 久美子",
        Role::Reviewer,
        Lang::Ja,
    ),
    (
        "reviewer2@demo.liaison.test",
        "Dr. Emily Carter",
        Role::Reviewer,
        Lang::En,
    ),
    (
        "msl@demo.liaison.test",
        "MSL 田中 美咲",
        Role::Msl,
        Lang::Ja,
    ),
    (
        "yamada@demo.liaison.test",
        "山田 太郎",
        Role::Investigator,
        Lang::Ja,
    ),
    (
        "suzuki@demo.liaison.test",
        "鈴木 花子",
        Role::Investigator,
        Lang::Ja,
    ),
    (
        "okafor@demo.liaison.test",
        "Dr. Chidi Okafor",
        Role::Investigator,
        Lang::En,
    ),
];

/// One demo study: every text of it is about the same study (title, background, endpoints,
/// budget, committee), so a proposal page reads as one coherent proposal.
struct DemoStudy {
    ja: bool,
    title: &'static str,
    area: &'static str,
    product: &'static str,
    study_type: StudyType,
    phase: &'static str,
    background: &'static str,
    objectives: &'static str,
    hypothesis: &'static str,
    design: &'static str,
    primary_endpoint: &'static str,
    secondary_endpoints: &'static [&'static str],
    sample_size: i64,
    sites: i64,
    co_investigator: (&'static str, &'static str),
    funding: i64,
    budget: &'static [(&'static str, i64)],
    ethics_committee: &'static str,
    publication_plan: &'static str,
}

/// 山田: renal protection of LIA-101 in type 2 diabetes (interventional).
const DKD_TRIAL: DemoStudy = DemoStudy {
    ja: true,
    title: "日本人2型糖尿病患者におけるLIA-101の腎保護効果を検討する多施設共同無作為化比較試験",
    area: "糖尿病・腎臓",
    product: "LIA-101",
    study_type: StudyType::Interventional,
    phase: "IV",
    background: "日本人2型糖尿病患者において、GLP-1受容体作動薬の腎保護効果に関するエビデンスは限られている。",
    objectives: "LIA-101 投与による推算糸球体濾過量（eGFR）低下の抑制効果を評価する。",
    hypothesis: "LIA-101 は標準治療と比較して52週時点のeGFR低下を抑制する。",
    design: "多施設共同、非盲検、無作為化並行群間比較試験。",
    primary_endpoint: "投与開始から52週時点までのeGFR変化量",
    secondary_endpoints: &[
        "HbA1c 変化量",
        "尿中アルブミン/クレアチニン比",
        "有害事象の発現割合",
    ],
    sample_size: 240,
    sites: 12,
    co_investigator: ("佐藤 健一", "北都医科大学"),
    funding: 18_000_000,
    budget: &[
        ("データマネジメント", 8_000_000),
        ("モニタリング", 6_000_000),
        ("統計解析", 4_000_000),
    ],
    ethics_committee: "東都大学臨床研究審査委員会",
    publication_plan: "日本糖尿病学会年次学術集会で発表し、英文誌に投稿する。",
};

/// 鈴木: anticoagulation after atrial-fibrillation ablation (observational).
const AF_COHORT_JA: DemoStudy = DemoStudy {
    ja: true,
    title: "心房細動アブレーション後の抗凝固療法継続に関する前向き観察研究",
    area: "循環器",
    product: "LIA-202",
    study_type: StudyType::Observational,
    phase: "",
    background: "心房細動に対するカテーテルアブレーション後、抗凝固療法をいつまで継続するかは施設により異なり、国内の実態は明らかでない。",
    objectives: "アブレーション後24か月間の抗凝固療法（LIA-202 を含む）の継続状況と、出血・血栓塞栓イベントを記述する。",
    hypothesis: "アブレーション後12か月以内に、約3分の1の患者で服薬率（PDC）が80%を下回る。",
    design: "多施設共同、前向き観察コホート研究（介入なし）。",
    primary_endpoint: "アブレーション後12か月時点のPDC（Proportion of Days Covered）",
    secondary_endpoints: &[
        "大出血イベントの発現割合",
        "脳卒中・全身性塞栓症の発現割合",
        "抗凝固療法中止の理由",
    ],
    sample_size: 600,
    sites: 15,
    co_investigator: ("中村 亮", "西海大学医学部附属病院"),
    funding: 9_000_000,
    budget: &[
        ("症例登録システム（EDC）", 4_000_000),
        ("データマネジメント", 3_000_000),
        ("統計解析", 2_000_000),
    ],
    ethics_committee: "西海大学医学部附属病院倫理審査委員会",
    publication_plan: "日本循環器学会学術集会で発表し、英文誌に投稿する。",
};

/// Okafor: the same question, asked in English by another investigator.
const AF_COHORT_EN: DemoStudy = DemoStudy {
    ja: false,
    title: "Adherence to oral anticoagulation after catheter ablation in Japan: a prospective cohort",
    area: "Cardiology",
    product: "LIA-202",
    study_type: StudyType::Observational,
    phase: "",
    background: "Real-world evidence on adherence to oral anticoagulants after atrial-fibrillation ablation in Japan is scarce.",
    objectives: "Describe adherence to oral anticoagulants (LIA-202 included) and bleeding events over 24 months after ablation.",
    hypothesis: "Adherence falls below 80% within 12 months in a third of patients.",
    design: "Multicentre prospective observational cohort.",
    primary_endpoint: "Proportion of days covered at 12 months",
    secondary_endpoints: &["Major bleeding events", "Stroke or systemic embolism"],
    sample_size: 400,
    sites: 8,
    co_investigator: ("Dr. Ana Lopez", "Keio University"),
    funding: 7_500_000,
    budget: &[
        ("Electronic data capture", 3_500_000),
        ("Data management", 2_500_000),
        ("Statistics", 1_500_000),
    ],
    ethics_committee: "Tokyo International Hospital Ethics Committee",
    publication_plan: "Present at the Japanese Circulation Society meeting; submit to an open-access journal.",
};

/// 鈴木's draft: exercise training in older patients with heart failure.
const HF_EXERCISE_DRAFT: DemoStudy = DemoStudy {
    ja: true,
    title: "高齢心不全患者におけるLIA-303投与下の運動療法の有効性（下書き）",
    area: "循環器",
    product: "LIA-303",
    study_type: StudyType::Interventional,
    phase: "IV",
    background: "高齢の慢性心不全患者では運動耐容能の低下が生活の質を損なうが、薬物療法下での運動療法の効果を検証した国内研究は少ない。",
    objectives: "LIA-303 で治療中の75歳以上の慢性心不全患者において、12週間の監視下運動療法が運動耐容能を改善するかを評価する。",
    hypothesis: "",
    design: "多施設共同、無作為化並行群間比較試験（運動療法群と通常ケア群）。",
    primary_endpoint: "12週時点の6分間歩行距離の変化量",
    secondary_endpoints: &[
        "KCCQ（生活の質）スコアの変化量",
        "心不全による入院",
        "運動療法に関連する有害事象",
    ],
    sample_size: 160,
    sites: 6,
    co_investigator: ("小林 由紀", "西海大学医学部附属病院 リハビリテーション部"),
    funding: 6_000_000,
    budget: &[],
    ethics_committee: "西海大学医学部附属病院倫理審査委員会",
    publication_plan: "日本心不全学会学術集会で発表し、英文誌に投稿する。",
};

/// 山田's withdrawn proposal: long-term safety of LIA-101 from a claims database.
const SAFETY_DATABASE: DemoStudy = DemoStudy {
    ja: true,
    title: "LIA-101 の長期安全性に関する後ろ向きデータベース研究",
    area: "糖尿病",
    product: "LIA-101",
    study_type: StudyType::Retrospective,
    phase: "",
    background: "LIA-101 の発売後3年を超える長期使用時の安全性情報は、臨床試験の追跡期間を超えており限られている。",
    objectives: "医療情報データベースを用いて、LIA-101 を3年以上使用した患者の膵炎・胆道系疾患の発現率を記述する。",
    hypothesis: "LIA-101 長期使用者の膵炎発現率は、他のGLP-1受容体作動薬使用者と同程度である。",
    design: "医療情報データベースを用いた後ろ向きコホート研究（新規使用者デザイン）。",
    primary_endpoint: "急性膵炎の発現率（1,000人年あたり）",
    secondary_endpoints: &["胆石症・胆嚢炎の発現率", "投与中止までの期間"],
    sample_size: 20_000,
    sites: 1,
    co_investigator: ("佐藤 健一", "北都医科大学"),
    funding: 5_000_000,
    budget: &[("データベース利用料", 3_000_000), ("統計解析", 2_000_000)],
    ethics_committee: "東都大学臨床研究審査委員会",
    publication_plan: "日本薬剤疫学会学術総会で発表し、英文誌に投稿する。",
};

fn proposal(study: &DemoStudy, pi: &PrincipalInvestigator) -> ProposalContent {
    let text = |s: &str| s.to_string();
    ProposalContent {
        title: text(study.title),
        therapeutic_area: text(study.area),
        product: text(study.product),
        study_type: Some(study.study_type),
        phase: text(study.phase),
        background: text(study.background),
        objectives: text(study.objectives),
        hypothesis: text(study.hypothesis),
        design: text(study.design),
        primary_endpoint: text(study.primary_endpoint),
        secondary_endpoints: study.secondary_endpoints.iter().map(|s| text(s)).collect(),
        planned_sample_size: Some(study.sample_size),
        planned_sites: Some(study.sites),
        planned_start: NaiveDate::from_ymd_opt(2027, 4, 1),
        planned_end: NaiveDate::from_ymd_opt(2029, 9, 30),
        principal_investigator: pi.clone(),
        co_investigators: vec![CoInvestigator {
            name: text(study.co_investigator.0),
            institution: text(study.co_investigator.1),
            orcid: String::new(),
        }],
        requested_support: RequestedSupport {
            funding_amount: Some(study.funding),
            currency: "JPY".into(),
            drug_supply: None,
            other: String::new(),
        },
        budget_items: study
            .budget
            .iter()
            .map(|(label, amount)| BudgetItem {
                label: text(label),
                amount: Some(*amount),
            })
            .collect(),
        ethics_committee: text(study.ethics_committee),
        registry: Some(if study.ja {
            Registry::Jrct
        } else {
            Registry::Umin
        }),
        independence: Independence {
            investigator_holds_data: true,
            right_to_publish: true,
        },
        publication_plan: text(study.publication_plan),
        ..ProposalContent::default()
    }
}

pub fn load(conn: &mut DbConnection, settings: &Settings) -> anyhow::Result<()> {
    if users::find_by_email(conn, PEOPLE[0].0)?.is_some() {
        println!("demo data is already loaded");
        return Ok(());
    }
    let hash = password::hash_password(DEMO_PASSWORD)?;
    db::write_tx(conn, |conn| -> Result<(), AppError> {
        let mut principals = Vec::new();
        for (email, name, role, lang) in PEOPLE {
            let user = user_workflows::create(conn, &Actor::system(), &CreateUser {
                email,
                display_name: name,
                role: *role,
                lang: *lang,
            })?;
            users::set_password_hash(conn, &user.id, &hash)?;
            principals.push(Principal::from_user(&user));
        }
        let yamada = &principals[5];
        let suzuki = &principals[6];
        let okafor = &principals[7];
        let pi = |p: &Principal, inst: &str, dept: &str| PrincipalInvestigator {
            name: p.display_name.clone(),
            institution: inst.into(),
            department: dept.into(),
            email: p.email.clone(),
            orcid: "0000-0002-1825-0097".into(),
        };
        let yamada_pi = pi(yamada, "東都大学病院", "腎臓・内分泌内科");
        let suzuki_pi = pi(suzuki, "西海大学医学部附属病院", "循環器内科");
        let okafor_pi = pi(okafor, "Tokyo International Hospital", "Cardiology");

        let submitted = workflow::create(conn, yamada, proposal(&DKD_TRIAL, &yamada_pi))?;
        crate::workflows::lifecycle::transition(conn, yamada, &submitted.row.id, Action::Submit, None, None)?;

        let second = workflow::create(conn, suzuki, proposal(&AF_COHORT_JA, &suzuki_pi))?;
        crate::workflows::lifecycle::transition(conn, suzuki, &second.row.id, Action::Submit, None, None)?;

        let english = workflow::create(conn, okafor, proposal(&AF_COHORT_EN, &okafor_pi))?;
        crate::workflows::lifecycle::transition(conn, okafor, &english.row.id, Action::Submit, None, None)?;

        // A draft: no hypothesis and no budget yet.
        workflow::create(conn, suzuki, proposal(&HF_EXERCISE_DRAFT, &suzuki_pi))?;

        // A committee reviewing the first proposal: one review done, one reviewer yet to declare.
        let admin = &principals[0];
        let chair = &principals[1];
        let members = vec![
            (principals[1].user_id.clone(), "chair".to_string()),
            (principals[2].user_id.clone(), "reviewer".to_string()),
            (principals[3].user_id.clone(), "reviewer".to_string()),
        ];
        let committee = review::create_committee(
            conn,
            admin,
            &review::CommitteeInput { name: "IIS 審査委員会 / IIS Review Committee", quorum: 2, members: &members },
        )?;
        crate::workflows::lifecycle::transition_with(
            conn,
            chair,
            &submitted.row.id,
            Action::StartReview,
            &crate::workflows::lifecycle::TransitionExtras { committee_id: Some(&committee.id), ..Default::default() },
            None,
        )?;
        for reviewer in [&principals[2], &principals[3]] {
            review::assign_reviewer(conn, chair, &submitted.row.id, &reviewer.user_id)?;
        }
        review::declare_coi(conn, &principals[2], &submitted.row.id, None, None)?;
        let (mine, _) = review::my_review(conn, &principals[2], &submitted.row.id)?;
        review::save_review(
            conn,
            &principals[2],
            &submitted.row.id,
            mine.version,
            &review::ReviewInput {
                scores: [("scientific_merit", 4), ("feasibility", 4), ("alignment", 5), ("budget", 3), ("publication_plan", 4)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                recommendation: Some(crate::domain::review::Outcome::ApproveWithConditions),
                comments_to_investigator: "目標症例数の算出根拠を研究計画書に明記してください。".into(),
                confidential_comments: "予算のモニタリング費用はやや高めと考えます。".into(),
                complete: true,
            },
        )?;

        // An MSL supporting the second proposal.
        let msl = &principals[4];
        msl_workflow::assign_msl(conn, admin, &second.row.id, &msl.user_id)?;
        let advice = msl_workflow::post_advice(conn, msl, &second.row.id, &msl_workflow::AdviceInput {
            section: Some("primary_endpoint"),
            body: "主要評価項目としてPDC（Proportion of Days Covered）を用いる場合、算出期間の定義を明確にすることをお勧めします。",
            parent_id: None,
        })?;
        msl_workflow::post_advice(conn, suzuki, &second.row.id, &msl_workflow::AdviceInput {
            section: None,
            body: "ご助言ありがとうございます。12か月間の定義を追記します。",
            parent_id: Some(&advice.id),
        })?;
        let interaction = msl_workflow::log_interaction(
            conn,
            msl,
            &second.row.id,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 18),
            "meeting",
            "研究デザインについて施設にて面談（約45分）。",
        )?;
        demo_insights(conn, admin, msl, &interaction.id, &suzuki.user_id)?;

        let withdrawn = workflow::create(conn, yamada, proposal(&SAFETY_DATABASE, &yamada_pi))?;
        crate::workflows::lifecycle::transition(conn, yamada, &withdrawn.row.id, Action::Submit, None, None)?;
        crate::workflows::lifecycle::transition(conn, yamada, &withdrawn.row.id, Action::Withdraw,
            Some("共同研究施設の体制変更のため取り下げます。"), None)?;
        Ok(())
    })
    .map_err(|e| anyhow!("demo data could not be loaded: {e:#}"))?;
    println!("Demo data loaded. Every demo account has the password {DEMO_PASSWORD}");
    println!("(or print a one-time link: liaison login-link --email <address>).");
    for (email, name, role, _) in PEOPLE {
        println!("  {:<13} {email:<32} {name}", role.as_str());
    }
    println!("Open {}/signin", settings.base_url);
    Ok(())
}

/// Listening priorities and insights (docs/PRODUCT.md#field-insights): one acknowledged, one
/// submitted with a justified compliance match, one draft recorded from the interaction.
fn demo_insights(
    conn: &mut DbConnection,
    admin: &Principal,
    msl: &Principal,
    interaction_id: &str,
    investigator_id: &str,
) -> Result<(), AppError> {
    use crate::workflows::insights::{self as insights, InsightInput, PriorityInput};
    let from = chrono::NaiveDate::from_ymd_opt(2026, 4, 1);
    let anticoagulation = insights::create_priority(
        conn,
        admin,
        &PriorityInput {
            therapeutic_area: "循環器",
            product: "LIA-202",
            question_ja: "アブレーション後の抗凝固療法はどのくらいの期間継続されているか？",
            question_en: "How long is anticoagulation continued after ablation?",
            active_from: from,
            active_to: None,
        },
    )?;
    let renal = insights::create_priority(
        conn,
        admin,
        &PriorityInput {
            therapeutic_area: "糖尿病・腎臓",
            product: "LIA-101",
            question_ja: "腎機能低下例で用量調整はどのように行われているか？",
            question_en: "How is the dose adjusted in renal impairment?",
            active_from: from,
            active_to: None,
        },
    )?;
    let first = insights::create_insight(conn, msl, InsightInput {
        title: "アブレーション後の抗凝固療法の中止時期にばらつき".into(),
        body: "複数の施設で、アブレーション後3か月での中止と継続が混在しているとの声。ガイドラインの解釈に差がある。".into(),
        category: "treatment_practice".into(),
        source: "one_to_one".into(),
        therapeutic_area: "循環器".into(),
        product: "LIA-202".into(),
        interaction_id: Some(interaction_id.to_string()),
        investigator_ids: vec![investigator_id.to_string()],
        priority_ids: vec![anticoagulation.id.clone()],
        ..Default::default()
    })?;
    insights::submit_insight(conn, msl, &first.row.id, None)?;
    insights::acknowledge_insight(conn, admin, &first.row.id)?;
    let second = insights::create_insight(conn, msl, InsightInput {
        title: "腎機能低下例での用量調整の情報ニーズ".into(),
        body: "eGFR 30未満の患者での使用経験が少なく、適応外となる用量についての質問が学会で複数あった（回答はしていない）。".into(),
        category: "unmet_need".into(),
        source: "congress".into(),
        therapeutic_area: "糖尿病・腎臓".into(),
        product: "LIA-101".into(),
        priority_ids: vec![renal.id.clone()],
        ..Default::default()
    })?;
    insights::submit_insight(
        conn,
        msl,
        &second.row.id,
        Some("学会での質疑を記録したもので、適応外使用を勧めたものではない。"),
    )?;
    insights::create_insight(
        conn,
        msl,
        InsightInput {
            title: "服薬アドヒアランス評価の負担".into(),
            body: "PDCの算出に必要な処方データの収集が施設の負担になるとの意見。".into(),
            category: "protocol_feasibility".into(),
            source: "one_to_one".into(),
            therapeutic_area: "循環器".into(),
            interaction_id: Some(interaction_id.to_string()),
            ..Default::default()
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STUDIES: [&DemoStudy; 5] = [
        &DKD_TRIAL,
        &AF_COHORT_JA,
        &AF_COHORT_EN,
        &HF_EXERCISE_DRAFT,
        &SAFETY_DATABASE,
    ];

    fn every_text(study: &DemoStudy) -> String {
        let mut texts = vec![
            study.title,
            study.background,
            study.objectives,
            study.hypothesis,
            study.design,
            study.primary_endpoint,
            study.publication_plan,
        ];
        texts.extend(study.secondary_endpoints);
        texts.extend(study.budget.iter().map(|(label, _)| *label));
        texts.join("\n")
    }

    /// Words that belong to one disease area only: a demo proposal about the heart must not
    /// talk about the kidneys in its body (IIS-2026-0002 once had an atrial-fibrillation title
    /// and a diabetes body).
    const DIABETES: &[&str] = &["糖尿病", "eGFR", "HbA1c", "膵炎", "diabetes", "renal"];
    const HEART: &[&str] = &[
        "心房細動",
        "抗凝固",
        "心不全",
        "ablation",
        "anticoag",
        "heart",
    ];

    #[test]
    fn each_demo_proposal_is_about_one_study() {
        for study in STUDIES {
            let text = every_text(study);
            let (own, other) = if study.area.contains("糖尿病") {
                (DIABETES, HEART)
            } else {
                (HEART, DIABETES)
            };
            assert!(
                own.iter().any(|w| text.contains(w)),
                "{}: nothing about its own area",
                study.title
            );
            for word in other {
                assert!(
                    !text.to_lowercase().contains(&word.to_lowercase()),
                    "{}: mentions {word}",
                    study.title
                );
            }
            assert!(
                text.contains(study.product) || study.product.is_empty(),
                "{}: its product {} is never named",
                study.title,
                study.product
            );
            let japanese = text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c));
            assert_eq!(japanese, study.ja, "{}: language", study.title);
        }
    }

    #[test]
    fn the_submitted_demo_proposals_are_complete_and_the_draft_is_not() {
        let pi = PrincipalInvestigator {
            name: "山田 太郎".into(),
            institution: "東都大学病院".into(),
            department: "腎臓・内分泌内科".into(),
            email: "yamada@demo.liaison.test".into(),
            orcid: "0000-0002-1825-0097".into(),
        };
        for study in [&DKD_TRIAL, &AF_COHORT_JA, &AF_COHORT_EN, &SAFETY_DATABASE] {
            assert_eq!(
                proposal(study, &pi).check_complete(),
                vec![],
                "{}",
                study.title
            );
        }
        assert!(
            !proposal(&HF_EXERCISE_DRAFT, &pi)
                .check_complete()
                .is_empty()
        );
    }
}
