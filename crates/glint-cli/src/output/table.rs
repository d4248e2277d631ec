//! prettytable-compatible tables (as cliff prints them), drawn with comfy-table.
//! Cells are wrapped beforehand like Python's `textwrap.fill`.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Python's `textwrap.fill(text, width)` with default options.
pub fn textwrap_fill(text: &str, width: usize) -> String {
    let width = width.max(1);
    let text: String = text
        .replace('\t', "        ")
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let mut chunks = split_chunks(&text);
    chunks.reverse();
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        let mut cur: Vec<String> = Vec::new();
        let mut cur_len = 0usize;
        if chunks.last().is_some_and(|c| c.trim().is_empty()) && !lines.is_empty() {
            chunks.pop();
        }
        while let Some(c) = chunks.last() {
            let l = c.chars().count();
            if cur_len + l <= width {
                cur_len += l;
                cur.push(chunks.pop().unwrap_or_default());
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| c.chars().count() > width) {
            // _handle_long_word
            let space_left = width.saturating_sub(cur_len).max(1);
            let chunk: Vec<char> = chunks.last().map(|c| c.chars().collect()).unwrap_or_default();
            let mut end = space_left;
            if chunk.len() > space_left {
                if let Some(h) = chunk[..space_left].iter().rposition(|&c| c == '-') {
                    if h > 0 && chunk[..h].iter().any(|&c| c != '-') {
                        end = h + 1;
                    }
                }
            }
            cur.push(chunk[..end].iter().collect());
            if let Some(last) = chunks.last_mut() {
                *last = chunk[end..].iter().collect();
            }
        }
        if cur.last().is_some_and(|c| c.trim().is_empty()) {
            cur.pop();
        }
        if !cur.is_empty() {
            lines.push(cur.concat());
        }
    }
    lines.join("\n")
}

/// textwrap's `[^\d\W]`: letters and the underscore.
fn is_letter(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphabetic() || *c == '_')
}

/// Whether textwrap's wordsep_re ends a chunk at the hyphen `chars[h]`: after two
/// letters (or letter-hyphen-letter), and before a letter, an optional hyphen, a letter.
fn hyphen_breaks(chars: &[char], h: usize) -> bool {
    let at = |i: usize| if i < chars.len() { chars.get(i) } else { None };
    let before = h >= 2 && is_letter(at(h - 1)) && is_letter(at(h - 2))
        || h >= 3 && is_letter(at(h - 1)) && at(h - 2) == Some(&'-') && is_letter(at(h - 3));
    let after = is_letter(at(h + 1)) && (is_letter(at(h + 2)) || at(h + 2) == Some(&'-') && is_letter(at(h + 3)));
    before && after
}

/// Split into whitespace runs and words, breaking hyphenated words where
/// textwrap's wordsep_re does ([`hyphen_breaks`]).
fn split_chunks(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        if chars[i] == ' ' {
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
        } else {
            while i < chars.len() && chars[i] != ' ' {
                let c = chars[i];
                i += 1;
                if c == '-' && hyphen_breaks(&chars, i - 1) {
                    break;
                }
            }
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

fn block_width(s: &str) -> usize {
    s.split('\n').map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Render like prettytable: `max_widths[i]` limits column i (None = unlimited).
pub fn render(headers: &[String], rows: &[Vec<String>], aligns: &[Align], max_widths: &[Option<usize>]) -> String {
    let ncol = headers.len();
    // wrap cells and compute widths
    let mut widths: Vec<usize> = headers.iter().map(|h| block_width(h)).collect();
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for row in rows {
        let mut out_row = Vec::with_capacity(ncol);
        for (i, v) in row.iter().enumerate().take(ncol) {
            let limit = max_widths.get(i).copied().flatten();
            let w = match limit {
                Some(m) => block_width(v).min(m),
                None => block_width(v),
            };
            widths[i] = widths[i].max(w);
            out_row.push(v.clone());
        }
        cells.push(out_row);
    }
    for row in cells.iter_mut() {
        for (i, v) in row.iter_mut().enumerate() {
            let w = widths[i];
            if v.split('\n').any(|l| l.chars().count() > w) {
                *v = v
                    .split('\n')
                    .map(|l| {
                        if l.chars().count() > w {
                            textwrap_fill(l, w)
                        } else {
                            l.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
            }
        }
    }
    let mut table = Table::new();
    table.load_preset("||--+-++|    ++++++");
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(headers.iter().map(comfy_table::Cell::new));
    for row in &cells {
        table.add_row(row.iter().map(comfy_table::Cell::new));
    }
    for (i, col) in table.column_iter_mut().enumerate() {
        col.set_constraint(ColumnConstraint::Absolute(Width::Fixed((widths[i] + 2) as u16)));
        col.set_cell_alignment(match aligns.get(i) {
            Some(Align::Right) => CellAlignment::Right,
            _ => CellAlignment::Left,
        });
    }
    let mut out = table.to_string();
    // comfy-table trims nothing, but make sure there is no trailing newline.
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_like_python() {
        assert_eq!(textwrap_fill("aaaa bbbb cccc", 9), "aaaa bbbb\ncccc");
        assert_eq!(textwrap_fill("abcdefghij", 4), "abcd\nefgh\nij");
        assert_eq!(textwrap_fill("well-known thing", 7), "well-\nknown\nthing");
        assert_eq!(textwrap_fill("b4236880-6774-45f4", 10), "b4236880-\n6774-45f4");
        // Expected values from Python 3.11's textwrap.fill.
        assert_eq!(
            textwrap_fill("/v2/images/1cf7db72-b6fe-4ebd-a780-b95698d80361/file", 37),
            "/v2/images/1cf7db72-b6fe-4ebd-a780-\nb95698d80361/file"
        );
        assert_eq!(textwrap_fill("ab-cd-e-fg hi", 4), "ab-\ncd-\ne-fg\nhi");
        assert_eq!(textwrap_fill("x-y-zzz abc", 4), "x-y-\nzzz\nabc");
        assert_eq!(textwrap_fill("foo_-bar baz", 5), "foo_-\nbar\nbaz");
    }

    #[test]
    fn renders_like_prettytable() {
        let h = vec!["ID".to_string(), "Name".to_string(), "Status".to_string()];
        let rows = vec![
            vec![
                "b4236880-6774-45f4-b29a-0f595d2dc596".into(),
                "ref-img".into(),
                "active".into(),
            ],
            vec![
                "7ca43d44-9d7c-4e13-a24c-069c6906d9c7".into(),
                "tempest-copy-image-1678901505".into(),
                "active".into(),
            ],
        ];
        let want = "\
+--------------------------------------+-------------------------------+--------+
| ID                                   | Name                          | Status |
+--------------------------------------+-------------------------------+--------+
| b4236880-6774-45f4-b29a-0f595d2dc596 | ref-img                       | active |
| 7ca43d44-9d7c-4e13-a24c-069c6906d9c7 | tempest-copy-image-1678901505 | active |
+--------------------------------------+-------------------------------+--------+";
        assert_eq!(render(&h, &rows, &[Align::Left; 3], &[None; 3]), want);
    }

    #[test]
    fn multiline_cells_and_right_align() {
        let h = vec!["Name".to_string(), "Endpoints".to_string(), "Size".to_string()];
        let rows = vec![vec![
            "keystone".into(),
            "RegionOne\n  public: http://x/v3\n".into(),
            "5".into(),
        ]];
        let want = "\
+----------+-----------------------+------+
| Name     | Endpoints             | Size |
+----------+-----------------------+------+
| keystone | RegionOne             |    5 |
|          |   public: http://x/v3 |      |
|          |                       |      |
+----------+-----------------------+------+";
        let got = render(&h, &rows, &[Align::Left, Align::Left, Align::Right], &[None; 3]);
        assert_eq!(got, want);
    }
}
