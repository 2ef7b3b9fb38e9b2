//! Summary PDF speed on one thread.
//!
//! ```sh
//! cargo run --release --example pdf_bench -- [N]      # N renders, default 200
//! ```
//!
//! Builds the proposal summary with the real builder (`workflows::reports::summary_for`, the
//! MSL/reviewer audience, which needs no review records) from `bench/proposal.json`, a complete
//! Japanese proposal that typesets to two A4 pages, then builds and renders it N times after
//! a warm-up (the first render parses the 6 MB font once per process). Prints one
//! `key: value` per line so scripts can pick the figures up.

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use liaison::db;
use liaison::domain::Lang;
use liaison::store::proposals::ProposalRow;
use liaison::workflows::proposals::Loaded;
use liaison::workflows::reports::{self, Audience};

const PROPOSAL_JSON: &str = include_str!("../bench/proposal.json");
const WARM_UP: usize = 3;

fn main() -> anyhow::Result<()> {
    let n: usize = match std::env::args().nth(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("N must be a number, not {text:?}"))?,
        None => 200,
    };
    if n == 0 {
        return Err(anyhow!("N must be at least 1"));
    }
    let content: liaison::domain::proposal::ProposalContent = serde_json::from_str(PROPOSAL_JSON)?;
    let now = db::now();
    let row = ProposalRow {
        id: db::new_id(),
        reference: Some("IIS-2026-0042".into()),
        status: "submitted".into(),
        owner_id: db::new_id(),
        title: content.title.clone(),
        product: content.product.clone(),
        therapeutic_area: content.therapeutic_area.clone(),
        content: serde_json::to_string(&content)?,
        round: 1,
        version: 2,
        created_at: now,
        updated_at: now,
        submitted_at: Some(now),
        committee_id: None,
        advice_requested_at: None,
        advice_last_role: None,
    };
    let loaded = Loaded::from_row(row, liaison::domain::access::Relation::Admin)
        .map_err(|e| anyhow!("{e}"))?;
    // The MSL/reviewer audience reads nothing from the database; the connection is unused.
    let mut conn = db::establish(":memory:")?;

    let mut build_and_render = || -> anyhow::Result<Vec<u8>> {
        let document = reports::summary_for(&mut conn, &loaded, Audience::Other, Lang::Ja)
            .map_err(|e| anyhow!("{e}"))?;
        reports::render(&document).map_err(|e| anyhow!("{e}"))
    };

    let first = Instant::now();
    let pdf = build_and_render()?;
    let first_ms = ms(first.elapsed());
    for _ in 1..WARM_UP {
        build_and_render()?;
    }

    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let mut times = Vec::with_capacity(n);
    let mut bytes = 0usize;
    for _ in 0..n {
        let t = Instant::now();
        bytes += build_and_render()?.len();
        times.push(t.elapsed());
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = match (cpu_before, process_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    times.sort();
    let pick = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];

    println!("renders: {n}");
    println!(
        "pages: {}",
        count_pages(&pdf).map_or("?".into(), |p| p.to_string())
    );
    println!("pdf_bytes: {}", bytes / n);
    println!("first_render_ms: {first_ms:.1}");
    println!("median_ms: {:.2}", ms(pick(0.5)));
    println!("p99_ms: {:.2}", ms(pick(0.99)));
    println!("pdfs_per_second_wall: {:.1}", n as f64 / wall);
    match cpu {
        Some(cpu) => println!("pdfs_per_cpu_second: {:.1}", n as f64 / cpu),
        None => println!("pdfs_per_cpu_second: ?"),
    }
    if let Ok(path) = std::env::var("PDF_BENCH_OUT") {
        std::fs::write(&path, &pdf).with_context(|| format!("cannot write {path}"))?;
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Page objects in the file (`/Type /Page`, not `/Pages`), when they are not compressed.
fn count_pages(pdf: &[u8]) -> Option<usize> {
    let mut pages = 0;
    for pattern in [&b"/Type /Page"[..], &b"/Type/Page"[..]] {
        pages += pdf
            .windows(pattern.len() + 1)
            .filter(|w| w.starts_with(pattern) && !w[pattern.len()].is_ascii_alphabetic())
            .count();
    }
    (pages > 0).then_some(pages)
}

/// User + system CPU time of this process from /proc/self/stat (Linux), in seconds.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every mainstream Linux configuration.
    Some((utime + stime) / 100.0)
}
