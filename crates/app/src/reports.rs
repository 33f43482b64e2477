//! A campaign's report as a file to download (CSV or XLSX), its labels in the reader's language.

use serde_json::Value;

use frontdesk_domain::Locale;

use crate::error::{ApiError, Result};

/// A file to download: its bytes, content type and name.
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub filename: String,
}

/// The report's table in `locale`: a summary, then one line per ticket (the API's downloads are
/// in English).
fn report_table(r: &Value, locale: Locale) -> Vec<Vec<String>> {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let label = |key: &str, args: &[(&str, &str)]| crate::i18n::tr_text(locale, key, args.iter().copied());
    let mut rows = vec![
        vec![label("report-campaign", &[]), text(&r["name"])],
        vec![label("report-tag", &[]), text(&r["tag"])],
        vec![label("report-tickets", &[]), text(&r["tickets"])],
        vec![label("report-solved", &[]), text(&r["solved"])],
        vec![label("report-replied", &[]), text(&r["replied"])],
        vec![label("report-median-first-reply", &[]), text(&r["median_first_reply_seconds"])],
    ];
    for (status, n) in r["by_status"].as_object().into_iter().flatten() {
        rows.push(vec![label("report-by-status", &[("status", status)]), text(n)]);
    }
    for c in r["by_custom_status"].as_array().into_iter().flatten() {
        rows.push(vec![label("report-by-custom-status", &[("label", &text(&c["agent_label"]))]), text(&c["count"])]);
    }
    rows.push(Vec::new());
    rows.push(
        ["report-column-ticket", "report-column-status", "report-column-custom-status", "report-column-first-reply"]
            .map(|k| label(k, &[]))
            .to_vec(),
    );
    for t in r["rows"].as_array().into_iter().flatten() {
        rows.push(vec![
            text(&t["ticket_id"]),
            text(&t["status"]),
            text(&t["custom_status_id"]),
            text(&t["first_reply_seconds"]),
        ]);
    }
    rows
}

/// A campaign's report as a CSV file, its labels in `locale`.
pub fn csv(r: &Value, locale: Locale) -> Download {
    let mut out = String::new();
    for row in report_table(r, locale) {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    let name = format!("{}.csv", r["tag"].as_str().unwrap_or("campaign"));
    Download { bytes: out.into_bytes(), content_type: "text/csv; charset=utf-8", filename: name }
}

/// One CSV cell, quoted where needed. A text a spreadsheet would take for a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) is given a leading `'`, so a customer's
/// name or subject cannot run in the reader's spreadsheet; numbers stay numbers.
pub fn csv_cell(c: &str) -> String {
    let formula = c.starts_with(['=', '+', '-', '@', '\t', '\r']) && c.parse::<f64>().is_err();
    let c = if formula { format!("'{c}") } else { c.to_string() };
    if c.contains([',', '"', '\n', '\r']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c }
}

/// A campaign's report as an XLSX file, its labels in `locale`.
pub fn xlsx(r: &Value, locale: Locale) -> Result<Download> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (i, row) in report_table(r, locale).iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let (ri, ci) = (i as u32, j as u16);
            let written = match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(ri, ci, n).map(|_| ()),
                Err(_) => sheet.write_string(ri, ci, cell).map(|_| ()),
            };
            written.map_err(|e| ApiError::Internal(format!("xlsx: {e}")))?;
        }
    }
    let bytes = book.save_to_buffer().map_err(|e| ApiError::Internal(format!("xlsx: {e}")))?;
    let name = format!("{}.xlsx", r["tag"].as_str().unwrap_or("campaign"));
    Ok(Download {
        bytes,
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename: name,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_never_start_a_formula() {
        use super::csv_cell;
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(csv_cell("+1 555"), "'+1 555");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tcmd"), "'\tcmd");
        assert_eq!(csv_cell("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_cell("-3"), "-3", "a number stays a number");
        assert_eq!(csv_cell("Ana, Bia"), "\"Ana, Bia\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
