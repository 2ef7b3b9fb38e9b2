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

fn proposal(
    title: &str,
    area: &str,
    pi: &PrincipalInvestigator,
    study_type: StudyType,
    ja: bool,
) -> ProposalContent {
    let (bg, obj, hyp, design, primary, secondary, plan) = if ja {
        (
            "日本人2型糖尿病患者において、GLP-1受容体作動薬の腎保護効果に関するエビデンスは限られている。",
            "LIA-101 投与による推算糸球体濾過量（eGFR）低下の抑制効果を評価する。",
            "LIA-101 は標準治療と比較して52週時点のeGFR低下を抑制する。",
            "多施設共同、非盲検、無作為化並行群間比較試験。",
            "投与開始から52週時点までのeGFR変化量",
            vec![
                "HbA1c 変化量",
                "尿中アルブミン/クレアチニン比",
                "有害事象の発現割合",
            ],
            "日本糖尿病学会年次学術集会で発表し、英文誌に投稿する。",
        )
    } else {
        (
            "Real-world evidence on adherence to oral anticoagulants after ablation is scarce.",
            "Describe adherence and bleeding events over 24 months.",
            "Adherence falls below 80% within 12 months in a third of patients.",
            "Multicentre prospective observational cohort.",
            "Proportion of days covered at 12 months",
            vec!["Major bleeding events", "Stroke or systemic embolism"],
            "Present at the Japanese Circulation Society meeting; submit to an open-access journal.",
        )
    };
    ProposalContent {
        title: title.into(),
        therapeutic_area: area.into(),
        product: "LIA-101".into(),
        study_type: Some(study_type),
        phase: if study_type == StudyType::Interventional {
            "IV".into()
        } else {
            String::new()
        },
        background: bg.into(),
        objectives: obj.into(),
        hypothesis: hyp.into(),
        design: design.into(),
        primary_endpoint: primary.into(),
        secondary_endpoints: secondary.into_iter().map(String::from).collect(),
        planned_sample_size: Some(240),
        planned_sites: Some(12),
        planned_start: NaiveDate::from_ymd_opt(2027, 4, 1),
        planned_end: NaiveDate::from_ymd_opt(2029, 9, 30),
        principal_investigator: pi.clone(),
        co_investigators: vec![CoInvestigator {
            name: if ja {
                "佐藤 健一".into()
            } else {
                "Dr. Ana Lopez".into()
            },
            institution: if ja {
                "北都医科大学".into()
            } else {
                "Keio University".into()
            },
            orcid: String::new(),
        }],
        requested_support: RequestedSupport {
            funding_amount: Some(18_000_000),
            currency: "JPY".into(),
            drug_supply: None,
            other: String::new(),
        },
        budget_items: vec![
            BudgetItem {
                label: if ja {
                    "データマネジメント".into()
                } else {
                    "Data management".into()
                },
                amount: Some(8_000_000),
            },
            BudgetItem {
                label: if ja {
                    "モニタリング".into()
                } else {
                    "Monitoring".into()
                },
                amount: Some(6_000_000),
            },
            BudgetItem {
                label: if ja {
                    "統計解析".into()
                } else {
                    "Statistics".into()
                },
                amount: Some(4_000_000),
            },
        ],
        ethics_committee: if ja {
            "東都大学臨床研究審査委員会".into()
        } else {
            "Keio University CRB".into()
        },
        registry: Some(Registry::Jrct),
        independence: Independence {
            investigator_holds_data: true,
            right_to_publish: true,
        },
        publication_plan: plan.into(),
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

        let submitted = workflow::create(conn, yamada, proposal(
            "日本人2型糖尿病患者におけるLIA-101の腎保護効果を検討する多施設共同無作為化比較試験",
            "糖尿病・腎臓", &yamada_pi, StudyType::Interventional, true))?;
        crate::workflows::lifecycle::transition(conn, yamada, &submitted.row.id, Action::Submit, None, None)?;

        let second = workflow::create(conn, suzuki, proposal(
            "心房細動アブレーション後の抗凝固療法継続に関する前向き観察研究",
            "循環器", &suzuki_pi, StudyType::Observational, true))?;
        crate::workflows::lifecycle::transition(conn, suzuki, &second.row.id, Action::Submit, None, None)?;

        let english = workflow::create(conn, okafor, proposal(
            "Adherence to oral anticoagulation after catheter ablation in Japan: a prospective cohort",
            "Cardiology", &okafor_pi, StudyType::Observational, false))?;
        crate::workflows::lifecycle::transition(conn, okafor, &english.row.id, Action::Submit, None, None)?;

        let mut draft = proposal("高齢者心不全における運動療法の有効性（下書き）", "循環器", &suzuki_pi, StudyType::Interventional, true);
        draft.hypothesis.clear();
        draft.budget_items.clear();
        workflow::create(conn, suzuki, draft)?;

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

        let withdrawn = workflow::create(conn, yamada, proposal(
            "LIA-101 の長期安全性に関する後ろ向きデータベース研究",
            "糖尿病", &yamada_pi, StudyType::Retrospective, true))?;
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
