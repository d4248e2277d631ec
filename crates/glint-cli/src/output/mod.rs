//! cliff-compatible output: `-f table|json|yaml|value|csv|shell`, `-c`, `--noindent`,
//! `--max-width`, `--fit-width`. Values are [`Cell`]s that know their human- and
//! machine-readable forms, like cliff's `FormattableColumn`.

pub mod python;
pub mod table;

use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value};

use crate::error::{CliError, Result};
use python::{json_dumps, py_repr, py_str, yaml_dump};
use table::Align;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
    Value,
    Csv,
    Shell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Quote {
    All,
    Minimal,
    None,
    #[default]
    Nonnumeric,
}

/// Output formatter options shared by every command that prints data.
#[derive(Args, Clone, Debug, Default)]
pub struct OutputArgs {
    /// The output format
    #[arg(short = 'f', long = "format", value_enum, default_value = "table")]
    pub format: Format,
    /// Specify the column(s) to include, can be repeated to show multiple columns
    #[arg(short = 'c', long = "column", value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// Whether to disable indenting the JSON
    #[arg(long)]
    pub noindent: bool,
    /// Maximum display width, <1 to disable
    #[arg(
        long = "max-width",
        value_name = "integer",
        env = "CLIFF_MAX_TERM_WIDTH",
        default_value_t = 0
    )]
    pub max_width: i64,
    /// Fit the table to the display width
    #[arg(long = "fit-width")]
    pub fit_width: bool,
    /// Print empty table if there is no data to show.
    #[arg(long = "print-empty")]
    pub print_empty: bool,
    /// When to include quotes (csv), defaults to nonnumeric
    #[arg(long = "quote", value_enum, default_value = "nonnumeric")]
    pub quote: Quote,
    /// Add a prefix to all variable names (shell)
    #[arg(long = "prefix", default_value = "")]
    pub prefix: String,
    /// Specify the column(s) to sort the data (columns specified first have a priority)
    #[arg(long = "sort-column", value_name = "SORT_COLUMN")]
    pub sort_columns: Vec<String>,
    /// Sort the column(s) in descending order
    #[arg(long = "sort-descending")]
    pub sort_descending: bool,
    /// Sort the column(s) in ascending order
    #[arg(long = "sort-ascending", conflicts_with = "sort_descending")]
    pub sort_ascending: bool,
}

impl OutputArgs {
    /// cliff offers csv only to listers and shell only to show-one commands.
    pub fn validate(&self, lister: bool) -> Result<()> {
        let bad = match (lister, self.format) {
            (true, Format::Shell) => Some(("shell", "'csv', 'json', 'table', 'value', 'yaml'")),
            (false, Format::Csv) => Some(("csv", "'json', 'shell', 'table', 'value', 'yaml'")),
            _ => None,
        };
        match bad {
            Some((f, choices)) => Err(CliError::Usage(format!(
                "argument -f/--format: invalid choice: '{f}' (choose from {choices})"
            ))),
            None => Ok(()),
        }
    }

    fn indent(&self) -> Option<usize> {
        if self.noindent {
            None
        } else {
            Some(2)
        }
    }

    fn check_env_fit(&self) -> bool {
        self.fit_width
            || std::env::var("CLIFF_FIT_WIDTH")
                .map(|v| v.trim() == "1")
                .unwrap_or(false)
    }
}

/// One output value, like cliff's plain values and FormattableColumns.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A plain value (str/int/bool/None).
    Val(Value),
    /// osc_lib ListColumn: human form is the sorted, comma-joined list.
    List(Vec<Value>),
    /// osc_lib DictColumn: human form is `k='v', k2='v2'`.
    Dict(Map<String, Value>),
    /// OSC catalog EndpointsColumn.
    Endpoints(Vec<Value>),
}

impl Cell {
    pub fn str(s: impl Into<String>) -> Cell {
        Cell::Val(Value::String(s.into()))
    }

    pub fn human(&self) -> String {
        match self {
            Cell::Val(v) => py_str(v),
            Cell::List(items) => {
                let mut s: Vec<String> = items.iter().map(py_str).collect();
                s.sort();
                s.join(", ")
            }
            Cell::Dict(m) => format_dict(m, None),
            Cell::Endpoints(eps) => format_endpoints(eps),
        }
    }

    pub fn machine(&self) -> Value {
        match self {
            Cell::Val(v) => v.clone(),
            Cell::List(items) => Value::Array(items.clone()),
            Cell::Dict(m) => Value::Object(m.clone()),
            Cell::Endpoints(eps) => Value::Array(eps.iter().map(endpoint_machine).collect()),
        }
    }

    /// cliff's value formatter: `str(machine_readable())` for formattable columns.
    pub fn value_text(&self) -> String {
        if self.is_formattable() {
            py_repr(&self.machine())
        } else {
            self.human()
        }
    }

    fn is_formattable(&self) -> bool {
        !matches!(self, Cell::Val(_))
    }

    fn is_number(&self) -> bool {
        matches!(self, Cell::Val(Value::Number(_)))
    }
}

/// An endpoint as OSC keeps it: keys id, interface, region_id, url, region first.
fn endpoint_machine(ep: &Value) -> Value {
    let Value::Object(m) = ep else {
        return ep.clone();
    };
    let order = ["id", "interface", "region_id", "url", "region"];
    let mut out = Map::new();
    for k in order {
        if let Some(v) = m.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    for (k, v) in m {
        if !order.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// osc_lib `utils.format_dict`.
pub fn format_dict(m: &Map<String, Value>, prefix: Option<&str>) -> String {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    let mut out = String::new();
    for k in keys {
        let key = match prefix {
            Some(p) => format!("{p}.{k}"),
            None => k.clone(),
        };
        match &m[k] {
            Value::Object(inner) => {
                out.push_str(&format_dict(inner, Some(&key)));
                out.push_str(", ");
            }
            Value::Null => out.push_str(&format!("{key}=, ")),
            v => out.push_str(&format!("{key}='{}', ", py_str(v))),
        }
    }
    out.truncate(out.len().saturating_sub(2));
    out
}

/// OSC `catalog._format_endpoints`.
pub fn format_endpoints(eps: &[Value]) -> String {
    let mut out = String::new();
    for ep in eps {
        let region = ["region_id", "region"]
            .iter()
            .filter_map(|k| ep.get(*k).and_then(Value::as_str))
            .find(|s| !s.is_empty())
            .unwrap_or("<none>");
        out.push_str(region);
        out.push('\n');
        out.push_str(&format!(
            "  {}: {}\n",
            ep.get("interface").map(py_str).unwrap_or_default(),
            ep.get("url").map(py_str).unwrap_or_default()
        ));
    }
    out
}

fn select_columns(opts: &OutputArgs, names: &[String]) -> Result<Vec<usize>> {
    if opts.columns.is_empty() {
        return Ok((0..names.len()).collect());
    }
    let idx: Vec<usize> = (0..names.len()).filter(|&i| opts.columns.contains(&names[i])).collect();
    if idx.is_empty() {
        let asked: Vec<Value> = opts.columns.iter().map(|c| Value::String(c.clone())).collect();
        let known: Vec<String> = names.iter().map(|c| python::repr_str(c)).collect();
        let known = if known.len() == 1 {
            format!("({},)", known[0])
        } else {
            format!("({})", known.join(", "))
        };
        return Err(CliError::Command(format!(
            "No recognized column names in {}. Recognized columns are {}.",
            py_repr(&Value::Array(asked)),
            known
        )));
    }
    Ok(idx)
}

fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    console::Term::stdout().size_checked().map(|(_, w)| w as usize)
}

/// cliff `TableFormatter._assign_max_widths`.
fn max_widths(opts: &OutputArgs, headers: &[String], rows: &[Vec<String>], min_width: usize) -> Vec<Option<usize>> {
    let none = vec![None; headers.len()];
    let term_width = if opts.max_width > 0 {
        opts.max_width as usize
    } else if !(std::io::stdout().is_terminal() || opts.check_env_fit()) {
        return none;
    } else {
        match terminal_width() {
            Some(w) => w,
            None => return none,
        }
    };
    let aligns = vec![Align::Left; headers.len()];
    let full = table::render(headers, rows, &aligns, &none);
    let first_line = full.lines().next().unwrap_or("");
    if first_line.chars().count() <= term_width || headers.is_empty() {
        return none;
    }
    let field_widths: Vec<usize> = first_line
        .split('+')
        .filter(|s| !s.is_empty())
        .map(|s| s.len().saturating_sub(2))
        .collect();
    let n = headers.len();
    let usable = term_width.saturating_sub(1 + 3 * n);
    let optimal = usable / n;
    let mut shrink = Vec::new();
    let mut remaining = usable as i64;
    for (i, w) in field_widths.iter().enumerate().take(n) {
        if *w <= optimal {
            remaining -= *w as i64;
        } else {
            shrink.push(i);
        }
    }
    let mut out = none;
    if shrink.is_empty() {
        return out;
    }
    let shrink_to = remaining.div_euclid(shrink.len() as i64);
    for &i in &shrink[..shrink.len() - 1] {
        out[i] = Some(shrink_to.max(min_width as i64) as usize);
        remaining -= shrink_to;
    }
    if let Some(&last) = shrink.last() {
        out[last] = Some(remaining.max(min_width as i64) as usize);
    }
    out
}

fn table_cell(c: &Cell) -> String {
    c.human().replace("\r\n", "\n").replace('\r', " ")
}

fn csv_field(c: &Cell, quote: Quote) -> String {
    let (text, numeric) = match c {
        Cell::Val(Value::Null) => (String::new(), false),
        Cell::Val(Value::Bool(_)) | Cell::Val(Value::Number(_)) => (py_str(&c.machine()), true),
        Cell::Val(v) => (py_str(v), false),
        other => (py_repr(&other.machine()), false),
    };
    let special = text.contains([',', '"', '\n', '\r']) || text.starts_with(' ');
    let quoted = match quote {
        Quote::All => true,
        Quote::Nonnumeric => !numeric,
        Quote::Minimal => special,
        Quote::None => false,
    };
    if quoted {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else if quote == Quote::None {
        let mut t = text.replace('\\', "\\\\");
        for ch in [',', '"', '\n', '\r'] {
            t = t.replace(ch, &format!("\\{ch}"));
        }
        t
    } else {
        text
    }
}

/// A Lister's output.
pub fn emit_list(opts: &OutputArgs, headers: &[&str], rows: Vec<Vec<Cell>>) -> Result<String> {
    let names: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
    let idx = select_columns(opts, &names)?;
    let names: Vec<String> = idx.iter().map(|&i| names[i].clone()).collect();
    let mut rows: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|r| {
            idx.iter()
                .map(|&i| r.get(i).cloned().unwrap_or(Cell::Val(Value::Null)))
                .collect()
        })
        .collect();
    if !opts.sort_columns.is_empty() {
        let keys: Vec<usize> = opts
            .sort_columns
            .iter()
            .filter_map(|c| names.iter().position(|n| n == c))
            .collect();
        for &k in keys.iter().rev() {
            rows.sort_by(|a, b| {
                let o = a[k].human().cmp(&b[k].human());
                if opts.sort_descending {
                    o.reverse()
                } else {
                    o
                }
            });
        }
    }
    let mut out = String::new();
    match opts.format {
        Format::Table | Format::Shell => {
            if rows.is_empty() && !opts.print_empty {
                out.push('\n');
                return Ok(out);
            }
            let aligns: Vec<Align> = match rows.first() {
                Some(r) => r
                    .iter()
                    .map(|c| if c.is_number() { Align::Right } else { Align::Left })
                    .collect(),
                None => vec![Align::Left; names.len()],
            };
            let text: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(table_cell).collect()).collect();
            let mw = max_widths(opts, &names, &text, 8);
            out.push_str(&table::render(&names, &text, &aligns, &mw));
            out.push('\n');
        }
        Format::Json => {
            let items: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let m: Map<String, Value> = names.iter().cloned().zip(r.iter().map(Cell::machine)).collect();
                    Value::Object(m)
                })
                .collect();
            out.push_str(&json_dumps(&Value::Array(items), opts.indent()));
            out.push('\n');
        }
        Format::Yaml => {
            let items: Vec<Value> = rows
                .iter()
                .map(|r| Value::Object(names.iter().cloned().zip(r.iter().map(Cell::machine)).collect()))
                .collect();
            out.push_str(&yaml_dump(&Value::Array(items)));
        }
        Format::Value => {
            for r in &rows {
                let parts: Vec<String> = r.iter().map(Cell::value_text).collect();
                out.push_str(&parts.join(" "));
                out.push('\n');
            }
        }
        Format::Csv => {
            let header: Vec<String> = names
                .iter()
                .map(|n| csv_field(&Cell::str(n.clone()), opts.quote))
                .collect();
            out.push_str(&header.join(","));
            out.push('\n');
            for r in &rows {
                let parts: Vec<String> = r.iter().map(|c| csv_field(c, opts.quote)).collect();
                out.push_str(&parts.join(","));
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// A ShowOne's output (fields in the order given).
pub fn emit_one(opts: &OutputArgs, fields: Vec<(String, Cell)>) -> Result<String> {
    let names: Vec<String> = fields.iter().map(|(k, _)| k.clone()).collect();
    let mut fields = fields;
    if !fields.is_empty() {
        let idx = select_columns(opts, &names)?;
        fields = idx.iter().map(|&i| fields[i].clone()).collect();
    }
    let mut out = String::new();
    match opts.format {
        Format::Table | Format::Csv => {
            if fields.is_empty() {
                out.push('\n');
                return Ok(out);
            }
            let headers = vec!["Field".to_string(), "Value".to_string()];
            let rows: Vec<Vec<String>> = fields.iter().map(|(k, v)| vec![k.clone(), table_cell(v)]).collect();
            let mw = max_widths(opts, &headers, &rows, 16);
            out.push_str(&table::render(&headers, &rows, &[Align::Left, Align::Left], &mw));
            out.push('\n');
        }
        Format::Json => {
            let m: Map<String, Value> = fields.iter().map(|(k, v)| (k.clone(), v.machine())).collect();
            out.push_str(&json_dumps(&Value::Object(m), opts.indent()));
            out.push('\n');
        }
        Format::Yaml => {
            for (k, v) in &fields {
                let mut m = Map::new();
                m.insert(k.clone(), v.machine());
                out.push_str(&yaml_dump(&Value::Object(m)));
            }
        }
        Format::Value => {
            for (_, v) in &fields {
                out.push_str(&v.value_text());
                out.push('\n');
            }
        }
        Format::Shell => {
            for (k, v) in &fields {
                let name = k.to_lowercase().replace(' ', "_").replace([':', '-'], "_");
                let value = if v.is_formattable() {
                    py_str(&Value::String(py_repr(&v.machine())))
                } else {
                    py_str(&v.machine())
                };
                out.push_str(&format!("{}{}=\"{}\"\n", opts.prefix, name, value.replace('"', "\\\"")));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(f: Format) -> OutputArgs {
        OutputArgs {
            format: f,
            ..Default::default()
        }
    }

    #[test]
    fn dict_column_like_osc() {
        let m = json!({"os_hidden": false, "stores": "fs", "a": {"b": "c"}, "n": null});
        let Value::Object(m) = m else { unreachable!() };
        assert_eq!(format_dict(&m, None), "a.b='c', n=, os_hidden='False', stores='fs'");
    }

    #[test]
    fn list_outputs() {
        let rows = vec![vec![
            Cell::str("id1"),
            Cell::Val(json!(5)),
            Cell::List(vec![json!("b"), json!("a")]),
        ]];
        let h = ["ID", "Size", "Tags"];
        assert_eq!(
            emit_list(&opts(Format::Value), &h, rows.clone()).unwrap(),
            "id1 5 ['b', 'a']\n"
        );
        assert_eq!(
            emit_list(&opts(Format::Csv), &h, rows.clone()).unwrap(),
            "\"ID\",\"Size\",\"Tags\"\n\"id1\",5,\"['b', 'a']\"\n"
        );
        assert_eq!(
            emit_list(&opts(Format::Json), &h, rows.clone()).unwrap(),
            "[\n  {\n    \"ID\": \"id1\",\n    \"Size\": 5,\n    \"Tags\": [\n      \"b\",\n      \"a\"\n    ]\n  }\n]\n"
        );
        let mut o = opts(Format::Value);
        o.columns = vec!["Size".into()];
        assert_eq!(emit_list(&o, &h, rows.clone()).unwrap(), "5\n");
        o.columns = vec!["nope".into()];
        let e = emit_list(&o, &h, rows.clone()).unwrap_err().to_string();
        assert_eq!(
            e,
            "No recognized column names in ['nope']. Recognized columns are ('ID', 'Size', 'Tags')."
        );
        assert_eq!(emit_list(&opts(Format::Table), &h, vec![]).unwrap(), "\n");
        assert_eq!(emit_list(&opts(Format::Json), &h, vec![]).unwrap(), "[]\n");
        let t = emit_list(&opts(Format::Table), &h, rows).unwrap();
        assert!(t.contains("|    5 |"), "{t}");
    }

    #[test]
    fn show_outputs() {
        let fields = vec![
            ("id".to_string(), Cell::str("x")),
            ("protected".to_string(), Cell::Val(json!(false))),
            ("tags".to_string(), Cell::List(vec![json!("t")])),
        ];
        assert_eq!(
            emit_one(&opts(Format::Value), fields.clone()).unwrap(),
            "x\nFalse\n['t']\n"
        );
        assert_eq!(
            emit_one(&opts(Format::Shell), fields.clone()).unwrap(),
            "id=\"x\"\nprotected=\"False\"\ntags=\"['t']\"\n"
        );
        assert_eq!(
            emit_one(&opts(Format::Yaml), fields.clone()).unwrap(),
            "id: x\nprotected: false\ntags:\n- t\n"
        );
        let mut o = opts(Format::Json);
        o.noindent = true;
        assert_eq!(
            emit_one(&o, fields.clone()).unwrap(),
            "{\"id\": \"x\", \"protected\": false, \"tags\": [\"t\"]}\n"
        );
        let t = emit_one(&opts(Format::Table), fields).unwrap();
        assert_eq!(
            t,
            "+-----------+-------+\n| Field     | Value |\n+-----------+-------+\n| id        | x     |\n| protected | False |\n| tags      | t     |\n+-----------+-------+\n"
        );
    }

    #[test]
    fn value_and_csv_use_python_repr() {
        let m = json!({"os_hidden": false, "k": "it's", "n": null, "i": 3});
        let Value::Object(m) = m else { unreachable!() };
        let ep = json!({"url": "http://u", "region": "R", "interface": "public", "region_id": "R", "id": "e1"});
        let fields = vec![
            ("properties".to_string(), Cell::Dict(m)),
            ("endpoints".to_string(), Cell::Endpoints(vec![ep])),
        ];
        assert_eq!(
            emit_one(&opts(Format::Value), fields).unwrap(),
            "{'os_hidden': False, 'k': \"it's\", 'n': None, 'i': 3}\n\
             [{'id': 'e1', 'interface': 'public', 'region_id': 'R', 'url': 'http://u', 'region': 'R'}]\n"
        );
    }

    #[test]
    fn max_width_wraps() {
        let mut o = opts(Format::Table);
        o.max_width = 30;
        let fields = vec![("hash".to_string(), Cell::str("a".repeat(40)))];
        let t = emit_one(&o, fields).unwrap();
        assert!(t.lines().all(|l| l.chars().count() <= 30), "{t}");
    }

    #[test]
    fn format_validation() {
        assert!(opts(Format::Shell).validate(true).is_err());
        assert!(opts(Format::Csv).validate(false).is_err());
        assert!(opts(Format::Csv).validate(true).is_ok());
    }
}
