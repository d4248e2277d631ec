//! Renderings of JSON values the way Python prints them: `str()`, `repr()`,
//! `json.dumps()` (ensure_ascii, indent or `", "` separators) and
//! `yaml.safe_dump(default_flow_style=False)`.

use serde_json::Value;

/// Python `str(value)`.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python `repr(value)` for the JSON subset of Python values.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => repr_str(s),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(py_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", repr_str(k), py_repr(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Python `repr(str)`: single quotes unless the string holds a `'` and no `"`.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python `json.dumps(v, indent=indent)` (ensure_ascii=True).
pub fn json_dumps(v: &Value, indent: Option<usize>) -> String {
    let mut out = String::new();
    json_write(v, indent, 0, &mut out);
    out
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_write(v: &Value, indent: Option<usize>, level: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => json_str(s, out),
        Value::Array(a) => {
            if a.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    if indent.is_none() {
                        out.push(' ');
                    }
                }
                newline(indent, level + 1, out);
                json_write(item, indent, level + 1, out);
            }
            newline(indent, level, out);
            out.push(']');
        }
        Value::Object(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    if indent.is_none() {
                        out.push(' ');
                    }
                }
                newline(indent, level + 1, out);
                json_str(k, out);
                out.push_str(": ");
                json_write(item, indent, level + 1, out);
            }
            newline(indent, level, out);
            out.push('}');
        }
    }
}

fn newline(indent: Option<usize>, level: usize, out: &mut String) {
    if let Some(n) = indent {
        out.push('\n');
        out.push_str(&" ".repeat(n * level));
    }
}

/// PyYAML `safe_dump(v, default_flow_style=False)` for JSON values (keys sorted).
pub fn yaml_dump(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other));
            out.push('\n');
            if !matches!(other, Value::Array(_) | Value::Object(_)) {
                out.push_str("...\n");
            }
        }
    }
    out
}

fn yaml_map(m: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_string(k));
        out.push(':');
        yaml_value_after_key(&m[k], indent, out);
    }
}

fn yaml_value_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            out.push_str(&" ".repeat(indent + 2));
            yaml_map(m, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            yaml_seq(a, indent, out);
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
}

fn yaml_seq(a: &[Value], indent: usize, out: &mut String) {
    for (i, item) in a.iter().enumerate() {
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => yaml_map(m, indent + 2, out),
            Value::Array(inner) if !inner.is_empty() => yaml_seq(inner, indent + 2, out),
            other => {
                out.push_str(&yaml_scalar(other));
                out.push('\n');
            }
        }
    }
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string scalar: plain when PyYAML would leave it plain, else quoted.
pub fn yaml_string(s: &str) -> String {
    if !s.is_ascii() || s.chars().any(|c| c.is_control()) {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02X}", c as u32)),
                c if (c as u32) < 0x7f => out.push(c),
                c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02X}", c as u32)),
                c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push_str(&format!("\\U{:08X}", c as u32)),
            }
        }
        out.push('"');
        return out;
    }
    if yaml_needs_quotes(s) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

fn yaml_needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.starts_with(' ') || s.ends_with(' ') {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-`, `?` and `:` are fine when followed by a non-space character.
        let second = s.chars().nth(1);
        let ok = matches!(first, '-' | '?' | ':') && second.is_some_and(|c| c != ' ');
        if !ok {
            return true;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    yaml_resolves_to_non_string(s)
}

/// PyYAML implicit resolvers (YAML 1.1): bool, null, int, float, timestamp, merge, value.
fn yaml_resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON",
        "off", "Off", "OFF", "~", "null", "Null", "NULL", "<<", "=", ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF",
        "+.inf", "+.Inf", "+.INF", ".nan", ".NaN", ".NAN",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    let digits_us = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '_');
    // int: decimal, 0b, 0x, octal, sexagesimal
    if let Some(rest) = body.strip_prefix("0b") {
        if !rest.is_empty() && rest.chars().all(|c| c == '0' || c == '1' || c == '_') {
            return true;
        }
    }
    if let Some(rest) = body.strip_prefix("0x") {
        if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '_') {
            return true;
        }
    }
    if body.starts_with(|c: char| c.is_ascii_digit()) && digits_us(body) {
        return true;
    }
    if body.contains(':')
        && body.starts_with(|c: char| c.is_ascii_digit())
        && body
            .split(':')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == '_' || c == '.'))
    {
        return true;
    }
    // float: [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? or \.[0-9_]+...
    if let Some(dot) = body.find('.') {
        let (int_part, rest) = body.split_at(dot);
        let rest = &rest[1..];
        let (frac, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let int_ok = int_part.is_empty() || (int_part.starts_with(|c: char| c.is_ascii_digit()) && digits_us(int_part));
        let frac_ok = frac.chars().all(|c| c.is_ascii_digit() || c == '_');
        let exp_ok = match exp {
            None => true,
            Some(e) => {
                let e = e.strip_prefix(['-', '+']);
                e.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
            }
        };
        if int_ok && frac_ok && exp_ok && !(int_part.is_empty() && frac.is_empty()) {
            return true;
        }
    }
    is_yaml_timestamp(s)
}

fn is_yaml_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    if b.len() < 8 || !(0..4).all(digit) || b[4] != b'-' {
        return false;
    }
    // YYYY-MM-DD exactly, or YYYY-M(M)-D(D)[Tt ]...
    let rest = &s[5..];
    let mut parts = rest.splitn(2, '-');
    let month = parts.next().unwrap_or("");
    let tail = parts.next().unwrap_or("");
    if month.is_empty() || month.len() > 2 || !month.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let day: String = tail.chars().take_while(|c| c.is_ascii_digit()).collect();
    if day.is_empty() || day.len() > 2 {
        return false;
    }
    let after = &tail[day.len()..];
    if after.is_empty() {
        return month.len() == 2 && day.len() == 2;
    }
    let after = after
        .strip_prefix(['T', 't'])
        .or_else(|| Some(after.trim_start_matches([' ', '\t'])).filter(|a| a.len() < after.len()));
    let Some(time) = after else { return false };
    // H(H):MM:SS(.frac)?(tz)?
    let mut it = time.splitn(3, ':');
    let h = it.next().unwrap_or("");
    let m = it.next().unwrap_or("");
    let sec_tz = it.next().unwrap_or("");
    if h.is_empty()
        || h.len() > 2
        || !h.chars().all(|c| c.is_ascii_digit())
        || m.len() != 2
        || !m.chars().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    if sec_tz.len() < 2 || !sec_tz[..2].chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    // (\.[0-9]*)?(?:[ \t]*(Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?$
    let mut r = &sec_tz[2..];
    if let Some(f) = r.strip_prefix('.') {
        r = f.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let r = r.trim_start_matches([' ', '\t']);
    if r.is_empty() || r == "Z" {
        return true;
    }
    let Some(tz) = r.strip_prefix(['+', '-']) else {
        return false;
    };
    let hh: String = tz.chars().take_while(|c| c.is_ascii_digit()).collect();
    if hh.is_empty() || hh.len() > 2 {
        return false;
    }
    let mm = &tz[hh.len()..];
    mm.is_empty() || (mm.len() == 3 && mm.starts_with(':') && mm[1..].chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_timestamp_like_pyyaml() {
        assert_eq!(yaml_string("2026-11-27T04:33:36+0000"), "2026-11-27T04:33:36+0000");
        assert!(is_yaml_timestamp("2026-11-27T04:33:36+00:00"));
        assert!(is_yaml_timestamp("2026-11-27T04:33:36.5Z"));
        assert!(is_yaml_timestamp("2026-11-27 04:33:36"));
        assert!(!is_yaml_timestamp("2026-11-27T04:33:36+0000"));
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(
            py_repr(&json!({"a": [1, true, null, "x'y"]})),
            "{'a': [1, True, None, \"x'y\"]}"
        );
        assert_eq!(py_str(&json!(false)), "False");
        assert_eq!(repr_str("it's \"q\""), "'it\\'s \"q\"'");
    }

    #[test]
    fn json_like_python() {
        let v = json!({"a": {}, "b": [1, 2], "c": "é"});
        assert_eq!(json_dumps(&v, None), "{\"a\": {}, \"b\": [1, 2], \"c\": \"\\u00e9\"}");
        assert_eq!(
            json_dumps(&v, Some(2)),
            "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": \"\\u00e9\"\n}"
        );
        assert_eq!(json_dumps(&json!([]), Some(2)), "[]");
    }

    #[test]
    fn yaml_like_pyyaml() {
        let v = json!({"name": "img", "created_at": "2026-11-27T03:30:39Z", "size": 5, "tags": [], "protected": false,
                       "properties": {"k": "v", "os_hidden": false}, "checksum": null, "ver": "1.0", "yes": "yes", "e": ""});
        let want = "checksum: null\ncreated_at: '2026-11-27T03:30:39Z'\ne: ''\nname: img\nproperties:\n  k: v\n  os_hidden: false\nprotected: false\nsize: 5\ntags: []\nver: '1.0'\n'yes': 'yes'\n";
        assert_eq!(yaml_dump(&v), want);
        let l = json!([{"ID": "x", "Tags": ["a", "b"]}, {"ID": "y", "Tags": []}]);
        assert_eq!(yaml_dump(&l), "- ID: x\n  Tags:\n  - a\n  - b\n- ID: y\n  Tags: []\n");
        assert_eq!(yaml_dump(&json!([])), "[]\n");
        assert_eq!(yaml_string("123"), "'123'");
        assert_eq!(yaml_string("a: b"), "'a: b'");
        assert_eq!(
            yaml_string("b4236880-6774-45f4-b29a-0f595d2dc596"),
            "b4236880-6774-45f4-b29a-0f595d2dc596"
        );
        assert_eq!(yaml_string("-x"), "-x");
        assert_eq!(yaml_string("- x"), "'- x'");
    }
}
