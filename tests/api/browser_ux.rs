//! Browser tests for issue #20: nothing typed is lost, every action is confirmed once, error
//! pages speak the reader's language. Headless Chromium through `browser_harness`.

use fantoccini::Locator;
use liaison::domain::{Lang, Role};
use serde_json::json;

use crate::browser_harness::{Browser, DESKTOP, PHONE};
use crate::helpers::{TestApp, json, spawn_app};
use crate::review::{committee, start_and_assign, submitted_proposal};

async fn text(browser: &Browser, css: &str) -> String {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("element {css}"))
        .text()
        .await
        .unwrap()
}

async fn is_checked(browser: &Browser, id: &str) -> bool {
    browser
        .eval(&format!("return document.getElementById('{id}').checked;"))
        .await
        == json!(true)
}

async fn value_of(browser: &Browser, id: &str) -> String {
    browser
        .eval(&format!("return document.getElementById('{id}').value;"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A proposal under review with one cleared reviewer (quorum 1); returns (id, reviewer).
async fn proposal_under_review(app: &TestApp) -> (String, crate::helpers::TestUser) {
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(app, &admin, 1, &["reviewer"]).await;
    let id = submitted_proposal(app, &investigator).await;
    start_and_assign(app, &committee, &id).await;
    let reviewer = committee.reviewers.into_iter().next().unwrap();
    let coi = app
        .post_json(
            &reviewer.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "none"}),
        )
        .await;
    assert_eq!(coi.status(), 200);
    (id, reviewer)
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn a_refused_submit_keeps_every_score_and_comment_and_a_submitted_review_stays_submitted() {
    let app = spawn_app().await;
    let (id, reviewer) = proposal_under_review(&app).await;
    let browser = Browser::start(&app, "en", DESKTOP).await;
    browser.sign_in(&app, &reviewer).await;
    let page = format!("/proposals/{id}/review");
    browser.goto(&page).await;

    // Three of five scores and both comments, no recommendation: "Submit review" is refused.
    for id in [
        "score-scientific_merit-5",
        "score-feasibility-4",
        "score-alignment-3",
    ] {
        browser.click(&format!("#{id}")).await;
    }
    browser
        .fill(
            "comments_to_investigator",
            "Clear aims; please justify n=120.",
        )
        .await;
    browser
        .fill("confidential_comments", "Budget looks high for 8 sites.")
        .await;
    browser
        .click("button[name='intent'][value='complete']")
        .await;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css(".error-summary"))
        .await
        .expect("the error summary");
    browser.screenshot("review-refused").await;
    for id in [
        "score-scientific_merit-5",
        "score-feasibility-4",
        "score-alignment-3",
    ] {
        assert!(is_checked(&browser, id).await, "{id} is still checked");
    }
    assert_eq!(
        value_of(&browser, "comments_to_investigator").await.trim(),
        "Clear aims; please justify n=120."
    );
    assert_eq!(
        value_of(&browser, "confidential_comments").await.trim(),
        "Budget looks high for 8 sites."
    );
    browser.assert_axe_clean("review-refused").await;

    // Complete it: one confirmation, in the status region, and no "draft" message beside it.
    browser.click("#score-budget-3").await;
    browser.click("#score-publication_plan-4").await;
    browser
        .client
        .find(Locator::Id("recommendation"))
        .await
        .unwrap()
        .select_by_value("approve")
        .await
        .unwrap();
    browser
        .click("button[name='intent'][value='complete']")
        .await;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css("[role='status'] .flash"))
        .await
        .expect("a confirmation");
    let status = text(&browser, "[role='status']").await;
    // The reviewer's own language (Japanese) wins over the browser's.
    assert_eq!(status.trim(), "評価を提出しました。");
    let body = text(&browser, "main").await;
    assert!(
        !body.contains("一時保存しました"),
        "no draft message: {body}"
    );
    browser.assert_axe_clean("review-submitted").await;

    // Saving again (the API's complete=false, or Enter in the form) keeps it submitted.
    let saved = app
        .put_my_review(&reviewer.token, &id, &json!({
            "scores": {"scientific_merit": 5, "feasibility": 4, "alignment": 3, "budget": 3, "publication_plan": 4},
            "recommendation": "approve", "complete": false,
            "comments_to_investigator": "Changed after submitting.", "confidential_comments": "",
        }))
        .await;
    assert_eq!(saved.status(), 200);
    assert_eq!(json(saved).await["completed"], true, "still submitted");

    // Only an explicit reopen makes it a draft again, and says so.
    browser.goto(&page).await;
    browser.click("button[name='intent'][value='reopen']").await;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css("[role='status'] .flash"))
        .await
        .expect("a confirmation");
    assert!(
        text(&browser, "[role='status']")
            .await
            .contains("下書きに戻しました")
    );
    let mine = json(
        app.get(
            &reviewer.token,
            &format!("/api/v1/proposals/{id}/reviews/mine"),
        )
        .await,
    )
    .await;
    assert_eq!(mine["review"]["completed"], false);
    browser.close().await;
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn error_pages_speak_english_with_navigation_and_a_request_id() {
    let app = spawn_app().await;
    let reviewer = app.user("reviewer@example.jp", Role::Reviewer, Lang::En);
    let browser = Browser::start(&app, "en", PHONE).await;

    // Signed out, an English browser: English page.
    browser.goto("/no-such-page").await;
    assert_eq!(text(&browser, "h1").await, "Page not found");

    // Signed in (English preference, Japanese browser language would not matter): the
    // navigation, human wording, no developer text, and a request id.
    browser.sign_in(&app, &reviewer).await;
    browser.goto("/admin/users").await;
    assert_eq!(text(&browser, "h1").await, "You do not have access to this");
    let main = text(&browser, "main").await;
    assert!(!main.contains("forbidden:"), "no developer text: {main}");
    assert!(
        browser
            .client
            .find(Locator::Css("nav a[href='/']"))
            .await
            .is_ok(),
        "the navigation is there"
    );
    let id = text(&browser, ".error-request-id code").await;
    assert!(id.len() >= 8, "a request id to quote: {id:?}");
    browser.screenshot("error-403-phone").await;
    browser.assert_no_horizontal_scroll("error-403-phone").await;
    browser.assert_axe_clean("error-403-phone").await;
    browser.close().await;
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn an_instant_at_23_30_utc_is_shown_as_08_30_the_next_day_in_tokyo() {
    use diesel::prelude::*;
    use liaison::db::schema::proposals;

    let app = spawn_app().await;
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let created = json(
        app.post_json(
            &investigator.token,
            "/api/v1/proposals",
            &crate::helpers::complete_proposal(),
        )
        .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let late_evening_utc =
        chrono::NaiveDateTime::parse_from_str("2026-12-01 23:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
    diesel::update(proposals::table.filter(proposals::id.eq(&id)))
        .set(proposals::updated_at.eq(late_evening_utc))
        .execute(&mut app.conn())
        .unwrap();

    let browser = Browser::start(&app, "ja", PHONE).await;
    browser.sign_in(&app, &investigator).await;
    browser.goto("/").await;
    let main = text(&browser, "main").await;
    assert!(
        main.contains("2026-12-02 08:30 JST"),
        "the dashboard shows Tokyo time with its zone: {main}"
    );
    assert!(!main.contains("2026-12-01 23:30"), "not the UTC time");
    browser
        .assert_no_horizontal_scroll("dashboard-tokyo-time")
        .await;
    browser.close().await;
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn an_error_in_the_interaction_log_form_returns_to_that_form_with_focus_on_its_summary() {
    let app = spawn_app().await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let msl = app.user("msl@example.jp", Role::Msl, Lang::En);
    let id = submitted_proposal(&app, &investigator).await;
    crate::msl::assign(&app, &admin, &id, &msl).await;

    let browser = Browser::start(&app, "en", PHONE).await;
    browser.sign_in(&app, &msl).await;
    browser.goto(&format!("/proposals/{id}")).await;
    // A date and a channel, but no summary: refused.
    browser
        .eval(
            "document.getElementById('interaction-occurred_on').value = '2026-11-20'; return null;",
        )
        .await;
    browser
        .client
        .find(Locator::Id("interaction-channel"))
        .await
        .unwrap()
        .select_by_value("meeting")
        .await
        .unwrap();
    browser
        .click("form[action$='/interactions'] button[type='submit']")
        .await;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Id("interaction-summary-error"))
        .await
        .expect("the error beside the summary");
    let focus = browser
        .eval(
            "const e = document.activeElement; const r = e.getBoundingClientRect(); \
             return [e.className, r.top >= 0 && r.bottom <= window.innerHeight, \
               e.closest('form') ? e.closest('form').getAttribute('action') : null, \
               document.getElementById('interaction-channel').value];",
        )
        .await;
    browser.screenshot("interaction-error-phone").await;
    assert!(
        focus[0]
            .as_str()
            .unwrap_or_default()
            .contains("form-error-summary"),
        "focus is on the form's error summary: {focus}"
    );
    assert_eq!(focus[1], json!(true), "the summary is on screen: {focus}");
    assert!(
        focus[2]
            .as_str()
            .unwrap_or_default()
            .ends_with("/interactions"),
        "the summary belongs to the interaction form: {focus}"
    );
    assert_eq!(focus[3], json!("meeting"), "the chosen channel is kept");
    browser
        .assert_no_horizontal_scroll("interaction-error-phone")
        .await;
    browser.close().await;
}

/// Every page each role reaches from its dashboard, on a 390x844 phone, with the demo data:
/// no page-level horizontal scroll and no axe-core violation. Collects every failure before
/// failing, so one run lists them all.
#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn every_page_fits_a_phone_and_passes_axe_core() {
    let app = spawn_app().await;
    let demo = app.cli(&["demo"], None);
    assert!(
        demo.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let browser = Browser::start(&app, "ja", PHONE).await;
    let mut failures: Vec<String> = Vec::new();
    let mut visited = 0;
    let mut pages: Vec<String> = Vec::new();
    let check = async |browser: &Browser, who: &str, path: &str| -> Vec<String> {
        let mut found = Vec::new();
        println!("{who}: {path}");
        browser.goto(path).await;
        let sizes = browser
            .eval("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        let header = browser
            .eval(
                "const h = document.querySelector('.site-header').getBoundingClientRect().height; \
                 const bar = [...document.querySelectorAll('.form-actions')] \
                   .filter(e => getComputedStyle(e).position === 'sticky') \
                   .map(e => e.getBoundingClientRect().height); \
                 return [h, bar.length ? Math.max(...bar) : 0];",
            )
            .await;
        // Signed in, the navigation sits behind the menu button on a phone.
        if who != "anonymous" {
            let menu = browser
                .eval(
                    "const shown = s => [...document.querySelectorAll(s)].some(e => e.checkVisibility()); \
                     return [shown('.menu-button'), shown('.nav-main a'), shown('.menu-panel a')];",
                )
                .await;
            if menu != json!([true, false, false]) {
                found.push(format!(
                    "{who} {path}: [menu button, row of links, menu links] shown = {menu}"
                ));
            }
        }
        let header_px = header[0].as_f64().unwrap_or_default();
        let sticky_px = header[1].as_f64().unwrap_or_default();
        if header_px > 120.0 {
            found.push(format!("{who} {path}: header {header_px} px > 120"));
        }
        if sticky_px > 84.4 {
            found.push(format!(
                "{who} {path}: sticky bar {sticky_px} px > 10% of 844"
            ));
        }
        if sizes[0].as_u64() > sizes[1].as_u64() {
            let name = format!("wide-{who}-{}", path.replace('/', "_"));
            browser.screenshot(&name).await;
            found.push(format!(
                "{who} {path}: scrollWidth {} > innerWidth {}",
                sizes[0], sizes[1]
            ));
        }
        match browser.axe_violations().await {
            Ok(violations) => {
                for v in violations {
                    found.push(format!(
                        "{who} {path}: axe {} ({}) {}",
                        v["id"], v["impact"], v["nodes"]
                    ));
                }
            }
            Err(why) => panic!("AXE-CORE NOT RUN: {}", why.0),
        }
        found
    };
    for path in ["/signin", "/register"] {
        failures.extend(check(&browser, "anonymous", path).await);
        visited += 1;
    }
    for who in [
        "admin",
        "chair",
        "reviewer1",
        "reviewer2",
        "msl",
        "yamada",
        "okafor",
    ] {
        browser.client.delete_all_cookies().await.unwrap();
        let user = crate::helpers::TestUser {
            id: String::new(),
            email: format!("{who}@demo.liaison.test"),
            token: String::new(),
        };
        browser.sign_in(&app, &user).await;
        // Breadth first from the dashboard through the links on each page (20 pages a role).
        let mut queue: Vec<String> = vec!["/".into()];
        let mut seen: Vec<String> = queue.clone();
        while let Some(path) = (!queue.is_empty()).then(|| queue.remove(0)) {
            failures.extend(check(&browser, who, &path).await);
            visited += 1;
            pages.push(path.clone());
            let links = browser
                .eval(
                    "return [...document.querySelectorAll('header a[href^=\"/\"], main a[href^=\"/\"]')] \
                       .map(a => a.getAttribute('href').split('#')[0].split('?')[0]) \
                       .filter(h => !h.startsWith('/static') && !h.endsWith('.pdf') && !h.endsWith('.csv') \
                         && !h.endsWith('.ics') && !h.includes('/documents/') && !h.startsWith('/api/'));",
                )
                .await;
            for link in links.as_array().into_iter().flatten() {
                let link = link.as_str().unwrap_or_default().to_string();
                if !seen.contains(&link) && seen.len() < 20 {
                    seen.push(link.clone());
                    queue.push(link);
                }
            }
        }
    }
    println!("visited {visited} pages");
    assert!(visited >= 25, "only {visited} pages visited");
    // The pages #20 changed are among them: the dashboards (to-do lists) and proposal pages
    // (table of contents, folding sections).
    for page in ["/", "/proposals/"] {
        assert!(
            pages
                .iter()
                .any(|p| p.starts_with(page) && (page != "/proposals/" || !p.ends_with("/new"))),
            "no {page} page visited: {pages:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) at 390x844:\n{}",
        failures.len(),
        failures.join("\n")
    );
    browser.close().await;
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn terminating_without_a_reason_returns_to_the_form_marked_required_in_english() {
    let app = spawn_app().await;
    let study = crate::study::approved_study(&app).await;
    let browser = Browser::start(&app, "en", PHONE).await;
    browser.sign_in(&app, &study.admin).await;
    // The language switch makes the pages English for this Japanese-preferring admin.
    browser.goto("/").await;
    browser.click("button[name='lang'][value='en']").await;
    // Wait for the switch's answer: leaving before it would race its redirect.
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css("html[lang='en']"))
        .await
        .expect("the page in English");
    let page = format!("/proposals/{}", study.id);
    browser.goto(&page).await;
    // The reason carries the required mark because the transition rule needs one.
    let label = text(&browser, "label[for='reason-terminate']").await;
    assert!(label.contains("Required"), "required mark: {label:?}");
    browser
        .click("form:has(input[name=action][value=terminate]) button[type='submit']")
        .await;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Id("reason-terminate-error"))
        .await
        .expect("the error at the terminate form, not a bare 422 page");
    let focused = browser
        .eval("return document.activeElement.className;")
        .await;
    assert!(
        focused
            .as_str()
            .unwrap_or_default()
            .contains("form-error-summary"),
        "focus on the summary: {focused}"
    );
    let h1 = text(&browser, "h1").await;
    assert!(
        !h1.contains("Please check"),
        "the proposal page, not an error page: {h1}"
    );
    browser.assert_axe_clean("terminate-error").await;
    browser.close().await;
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn the_phone_menu_opens_without_script_and_the_desktop_keeps_its_row_of_links() {
    let app = spawn_app().await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::En);
    let shown = "const shown = s => [...document.querySelectorAll(s)].some(e => e.checkVisibility()); \
                 const h = document.querySelector('.site-header').getBoundingClientRect().height; \
                 return [shown('.menu-button'), shown('.nav-main a[href=\"/admin/users\"]'), \
                   shown('.menu-panel a[href=\"/admin/users\"]'), h, document.scripts.length];";

    let browser = Browser::start(&app, "en", PHONE).await;
    browser.sign_in(&app, &admin).await;
    browser.goto("/").await;
    let closed = browser.eval(shown).await;
    assert_eq!(closed[0], json!(true), "the menu button: {closed}");
    assert_eq!(
        closed[1],
        json!(false),
        "no row of links on a phone: {closed}"
    );
    assert_eq!(closed[2], json!(false), "the menu starts closed: {closed}");
    assert!(
        closed[3].as_f64().unwrap_or(999.0) <= 120.0,
        "header: {closed}"
    );
    assert_eq!(
        closed[4],
        json!(0),
        "no script on the page: the menu is a <details>"
    );
    browser.click(".menu-button").await;
    let open = browser.eval(shown).await;
    assert_eq!(open[2], json!(true), "the links once opened: {open}");
    assert!(
        open[3].as_f64().unwrap_or(999.0) <= 120.0,
        "the open menu lies over the page, the header keeps its height: {open}"
    );
    browser.screenshot("menu-open-phone").await;
    browser.assert_no_horizontal_scroll("menu-open-phone").await;
    browser.assert_axe_clean("menu-open-phone").await;
    browser.click(".menu-panel a[href='/admin/users']").await;
    browser
        .wait_for_path("the users page", |p| p == "/admin/users")
        .await;
    browser.close().await;

    let browser = Browser::start(&app, "en", DESKTOP).await;
    browser.sign_in(&app, &admin).await;
    browser.goto("/").await;
    let desktop = browser.eval(shown).await;
    assert_eq!(
        desktop[0],
        json!(false),
        "no menu button on a desktop: {desktop}"
    );
    assert_eq!(desktop[1], json!(true), "the row of links: {desktop}");
    browser.assert_axe_clean("menu-desktop").await;
    browser.close().await;
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn the_proposal_contents_open_a_folded_section_and_a_failed_form_in_one_is_focused() {
    let app = spawn_app().await;
    let study = crate::proposal_toc::active_study(&app).await;
    let browser = Browser::start(&app, "ja", PHONE).await;
    browser.sign_in(&app, &study.admin).await;
    let page = format!("/proposals/{}", study.id);
    browser.goto(&page).await;
    let open = "return [...document.querySelectorAll('details.fold')] \
                  .filter(d => d.open).map(d => d.querySelector('h2').id);";
    let before = browser.eval(open).await;
    assert!(
        !before
            .as_array()
            .unwrap()
            .contains(&json!("overview-heading")),
        "the protocol is folded for a running study: {before}"
    );
    // The contents link lands on the folded section's heading, which opens on a click.
    browser.click(".toc-list a[href='#overview-heading']").await;
    let at = browser
        .eval("const r = document.getElementById('overview-heading').getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight;")
        .await;
    assert_eq!(at, json!(true), "the heading is on screen");
    browser.click("#overview-heading").await;
    let after = browser.eval(open).await;
    assert!(
        after
            .as_array()
            .unwrap()
            .contains(&json!("overview-heading")),
        "opened: {after}"
    );
    browser.assert_axe_clean("proposal-toc").await;

    // The gates are folded once recorded; a failed gates form comes back open and focused.
    browser.goto(&page).await;
    browser.click("#gates-heading").await;
    browser
        .eval("document.getElementById('gates-registry_id').value = 'NCT04368728'; return null;")
        .await;
    browser
        .click("form[action$='/gates'] button[type='submit']")
        .await;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Id("gates-registry_id-error"))
        .await
        .expect("the error beside the registry id");
    let focus = browser
        .eval(
            "const e = document.activeElement; const r = e.getBoundingClientRect(); \
             return [e.className, r.top >= 0 && r.bottom <= window.innerHeight, \
               e.closest('details') ? e.closest('details').open : null];",
        )
        .await;
    browser.screenshot("gates-error-phone").await;
    assert!(
        focus[0]
            .as_str()
            .unwrap_or_default()
            .contains("form-error-summary"),
        "focus on the gates form's summary: {focus}"
    );
    assert_eq!(focus[1], json!(true), "on screen: {focus}");
    assert_eq!(focus[2], json!(true), "in an open section: {focus}");
    browser.assert_axe_clean("gates-error-phone").await;
    browser.close().await;
}
