//! docs/PARITY.md lists every API operation with the page that does the same, or the reason
//! there is none; this test holds it to the route table (`http::route_table()`).

use std::collections::BTreeSet;

/// (operation, pages, reason) of every row of the table.
fn rows() -> Vec<(String, Vec<String>, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PARITY.md"))
        .expect("docs/PARITY.md");
    let backticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    text.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 4, "four cells: {line}");
            let operation = backticked(cells[0]).concat();
            (operation, backticked(cells[2]), cells[3].to_string())
        })
        .collect()
}

/// Routes that are not pages: the API, the calendar feed, probes and the stylesheet.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/ical/")
        || matches!(path, "/openapi.json" | "/healthz" | "/readyz" | "/metrics")
}

#[test]
fn every_api_operation_has_a_page_or_a_reason() {
    let routes: BTreeSet<String> = liaison::http::route_table()
        .into_iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    let rows = rows();
    let mut problems = Vec::new();
    for route in &routes {
        let path = route.split_once(' ').map(|(_, p)| p).unwrap_or_default();
        if is_api(path) && !rows.iter().any(|(operation, _, _)| operation == route) {
            problems.push(format!("{route} has no row in docs/PARITY.md"));
        }
    }
    for (operation, pages, reason) in &rows {
        if !routes.contains(operation) {
            problems.push(format!("{operation} in docs/PARITY.md is not a route"));
        }
        if pages.is_empty() && reason.is_empty() {
            problems.push(format!("{operation} has neither a page nor a reason"));
        }
        for page in pages {
            let path = page.split_once(' ').map(|(_, p)| p).unwrap_or_default();
            if !routes.contains(page) || is_api(path) {
                problems.push(format!("{operation}: page {page} is not a registered page"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/PARITY.md:\n{}",
        problems.join("\n")
    );
}
