//! Server-rendered bar charts: the geometry is computed here, `templates/web/_charts.html`
//! draws the SVG (autoescaped) with a `<title>`, a `<desc>` and the same data as a table for
//! screen readers. No JavaScript.

use serde_json::{Value, json};

/// Width of the bar area in SVG units (the label column is left of it).
const BAR_AREA: f64 = 340.0;
const BAR_HEIGHT: u32 = 14;
const ROW_GAP: u32 = 10;
/// Labels longer than this are shortened in the drawing; the table has them in full.
const LABEL_CHARS: usize = 16;
const FILLS: [&str; 2] = ["#2f6fb3", "#9db4cc"];

/// One category of a chart: its bars (one per series) and the table cells.
pub struct BarRow {
    pub label: String,
    pub values: Vec<f64>,
    /// What is written after each bar.
    pub value_texts: Vec<String>,
    /// The table row after the label.
    pub cells: Vec<String>,
}

/// A chart's template context. `series` names the bars (legend), `columns` the table's
/// columns after the label column.
pub fn bar_chart(
    id: &str,
    title: &str,
    desc: &str,
    label_header: &str,
    series: &[String],
    columns: &[String],
    rows: Vec<BarRow>,
) -> Value {
    let max = rows
        .iter()
        .flat_map(|r| r.values.iter().copied())
        .fold(0.0_f64, f64::max);
    let per_row = BAR_HEIGHT * u32::try_from(series.len().max(1)).unwrap_or(1) + ROW_GAP;
    let mut y = 0_u32;
    let drawn: Vec<Value> = rows
        .iter()
        .map(|r| {
            let bars: Vec<Value> = r
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let width = if max > 0.0 {
                        (v / max * BAR_AREA).round()
                    } else {
                        0.0
                    };
                    json!({
                        "y": y + BAR_HEIGHT * u32::try_from(i).unwrap_or(0),
                        "width": width,
                        "text_x": 206.0 + width,
                        "text": r.value_texts.get(i).cloned().unwrap_or_default(),
                        "fill": FILLS[i % FILLS.len()],
                    })
                })
                .collect();
            let short: String = if r.label.chars().count() > LABEL_CHARS {
                let cut: String = r.label.chars().take(LABEL_CHARS - 1).collect();
                format!("{cut}…")
            } else {
                r.label.clone()
            };
            let row = json!({
                "label": r.label, "short_label": short, "label_y": y + BAR_HEIGHT - 2,
                "bars": bars, "cells": r.cells,
            });
            y += per_row;
            row
        })
        .collect();
    let legend_y = y + 6;
    let legend: Vec<Value> = series
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "x": 200 + 150 * i, "name": name, "fill": FILLS[i % FILLS.len()],
            })
        })
        .collect();
    json!({
        "id": id,
        "title": title,
        "desc": desc,
        "label_header": label_header,
        "columns": columns,
        "rows": drawn,
        "bar_height": BAR_HEIGHT,
        "legend": if series.len() > 1 { json!(legend) } else { json!([]) },
        "legend_y": legend_y,
        "height": legend_y + if series.len() > 1 { 20 } else { 0 },
        "empty": rows.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_long_labels_are_shortened_in_the_drawing() {
        let chart = bar_chart(
            "c",
            "題",
            "説明",
            "領域",
            &["今期".into(), "前期".into()],
            &["今期".into(), "前期".into()],
            vec![
                BarRow {
                    label: "とても長い治療領域の名前がここに入ります".into(),
                    values: vec![4.0, 2.0],
                    value_texts: vec!["4".into(), "2".into()],
                    cells: vec!["4".into(), "2".into()],
                },
                BarRow {
                    label: "腎臓".into(),
                    values: vec![0.0, 1.0],
                    value_texts: vec!["0".into(), "1".into()],
                    cells: vec!["0".into(), "1".into()],
                },
            ],
        );
        assert_eq!(chart["rows"][0]["bars"][0]["width"], 340.0);
        assert_eq!(chart["rows"][0]["bars"][1]["width"], 170.0);
        assert_eq!(chart["rows"][1]["bars"][1]["y"], 52);
        assert_eq!(
            chart["rows"][0]["short_label"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            16
        );
        assert_eq!(
            chart["rows"][0]["label"],
            "とても長い治療領域の名前がここに入ります"
        );
        assert_eq!(chart["legend"].as_array().unwrap().len(), 2);
        let empty = bar_chart("e", "t", "d", "l", &["n".into()], &[], vec![]);
        assert_eq!(empty["empty"], true);
    }
}
