//! Issue #20: the proposal page has a table of contents, and its sections fold without
//! JavaScript: open for what matters to the reader, and always open where a form failed.

use serde_json::json;

use crate::helpers::{TestApp, csrf_from, spawn_app_with};

/// Whether the folding section `key` is open in `html` (`None`: not on the page).
pub(crate) fn is_open(html: &str, key: &str) -> Option<bool> {
    let heading = html.find(&format!("<h2 id=\"{key}-heading\">"))?;
    let details = html[..heading].rfind("<details class=\"fold\"")?;
    let tag_end = html[details..].find('>')? + details;
    Some(html[details..tag_end].contains(" open"))
}

/// The table of contents' links, in order.
fn toc_links(html: &str) -> Vec<String> {
    let start = html
        .find("class=\"toc-list\"")
        .expect("a table of contents");
    let end = html[start..].find("</ol>").unwrap() + start;
    html[start..end]
        .split("href=\"#")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// An active study: the approved study with every gate recorded, then activated.
pub(crate) async fn active_study(app: &TestApp) -> crate::study::Study {
    let study = crate::study::approved_study(app).await;
    let gates = app
        .api
        .put(app.url(&format!("/api/v1/proposals/{}/gates", study.id)))
        .bearer_auth(&study.admin.token)
        .header("If-Match", "\"v0\"")
        .json(&json!({
            "contract_signed_on": "2026-11-01", "ethics_committee": "東都大学臨床研究審査委員会",
            "ethics_approved_on": "2026-11-10", "ethics_approval_number": "R-2026-001",
            "registry": "jrct", "registry_id": "jRCT2031210123"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(gates.status(), 200, "{}", gates.text().await.unwrap());
    let activated = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{}/transitions", study.id),
            &json!({"action": "activate"}),
        )
        .await;
    assert_eq!(activated.status(), 200);
    study
}

#[actix_web::test]
async fn the_contents_link_every_section_and_the_study_folds_the_protocol() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = active_study(&app).await;
    let admin = app.signed_in_browser(&study.admin).await;
    let path = format!("/proposals/{}", study.id);
    let html = admin
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let links = toc_links(&html);
    assert!(links.len() >= 15, "{links:?}");
    for link in &links {
        assert!(
            html.contains(&format!("id=\"{link}\"")),
            "{link} points at a heading on the page"
        );
    }
    assert_eq!(links.first().map(String::as_str), Some("decision-heading"));
    assert_eq!(links.last().map(String::as_str), Some("history-heading"));
    // A running study: its records open, the protocol and the recorded gates folded.
    assert_eq!(is_open(&html, "milestones"), Some(true));
    assert_eq!(is_open(&html, "overview"), Some(false));
    assert_eq!(is_open(&html, "gates"), Some(false));
    assert_eq!(is_open(&html, "history"), Some(false));

    // The investigator of a draft reads the protocol open.
    let pi = app.signed_in_browser(&study.yamada).await;
    let draft = crate::helpers::json(
        app.post_json(
            &study.yamada.token,
            "/api/v1/proposals",
            &crate::helpers::complete_proposal(),
        )
        .await,
    )
    .await;
    let html = pi
        .get(app.url(&format!("/proposals/{}", draft["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for key in [
        "overview",
        "design",
        "plan",
        "investigators",
        "support",
        "msl",
    ] {
        assert_eq!(is_open(&html, key), Some(true), "{key}");
    }
    assert_eq!(is_open(&html, "gates"), None, "no study yet");
    assert!(!toc_links(&html).contains(&"gates-heading".to_string()));
}

#[actix_web::test]
async fn a_form_error_in_a_folded_section_opens_it_with_the_summary_focused() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = active_study(&app).await;
    let admin = app.signed_in_browser(&study.admin).await;
    let path = format!("/proposals/{}", study.id);
    let csrf = csrf_from(&admin, &app.url(&path)).await;
    // An NCT number as a jRCT id: refused, and the page comes back with the gates open.
    let response = admin
        .post(app.url(&format!("{path}/gates")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("contract_signed_on", "2026-11-01"),
            ("registry", "jrct"),
            ("registry_id", "NCT04368728"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert_eq!(
        is_open(&html, "gates"),
        Some(true),
        "the failed form's section"
    );
    let gates = &html[html.find("id=\"gates-heading\"").unwrap()..];
    let gates = &gates[..gates.find("</details>").unwrap()];
    assert!(
        gates.contains("autofocus"),
        "its error summary takes the focus"
    );
    assert_eq!(is_open(&html, "overview"), Some(false));
}
