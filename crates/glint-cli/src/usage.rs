//! Usage errors in argparse's words. `openstack` (cliff + argparse) ends a usage error with
//! `openstack <command>: error: <what>`; scripts and people grep that line, so glint prints the
//! same last line (clap parses; only the wording is translated here).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};

use crate::cli::Cli;

/// The argparse-style report for a clap parse error of `argv` (without the program name),
/// or `None` when clap's own output is right (help, version, or a kind argparse has no
/// counterpart for).
pub fn argparse_report(err: &clap::Error, argv: &[String]) -> Option<String> {
    let mut command = Cli::command();
    command.build();
    let (path, subcommand) = command_path(&command, argv);
    let usage = subcommand.clone().render_usage().to_string();
    let message = match err.kind() {
        ErrorKind::UnknownArgument => {
            format!("unrecognized arguments: {}", unrecognized(argv).join(" "))
        }
        _ => argparse_message(err, &path, subcommand)?,
    };
    let usage = usage.trim().strip_prefix("Usage: ").unwrap_or(usage.trim()).to_string();
    Some(format!("usage: {usage}\n{path}: error: {message}\n"))
}

fn argparse_message(err: &clap::Error, path: &str, subcommand: &clap::Command) -> Option<String> {
    match err.kind() {
        ErrorKind::MissingRequiredArgument => {
            let missing: Vec<String> = context_strings(err, ContextKind::InvalidArg)
                .iter()
                .map(|a| a.trim_end_matches("...").to_string())
                .collect();
            Some(format!("the following arguments are required: {}", missing.join(", ")))
        }
        ErrorKind::ArgumentConflict => {
            let first = option_name(subcommand, &context_text(err, ContextKind::InvalidArg)?);
            let later = option_name(subcommand, context_strings(err, ContextKind::PriorArg).first()?);
            Some(format!("argument {later}: not allowed with argument {first}"))
        }
        ErrorKind::InvalidValue => {
            let arg = option_name(subcommand, &context_text(err, ContextKind::InvalidArg)?);
            let value = context_text(err, ContextKind::InvalidValue).unwrap_or_default();
            if value.is_empty() {
                return Some(format!("argument {arg}: expected one argument"));
            }
            let mut choices = context_strings(err, ContextKind::ValidValue);
            if arg.ends_with("--format") {
                choices = formatter_choices(path, choices);
            }
            let choices: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
            Some(format!(
                "argument {arg}: invalid choice: '{value}' (choose from {})",
                choices.join(", ")
            ))
        }
        ErrorKind::ValueValidation => {
            let arg = option_name(subcommand, &context_text(err, ContextKind::InvalidArg)?);
            let value = context_text(err, ContextKind::InvalidValue).unwrap_or_default();
            let is_int =
                std::error::Error::source(err).is_some_and(|s| s.downcast_ref::<std::num::ParseIntError>().is_some());
            let kind = if is_int { "int " } else { "" };
            Some(format!("argument {arg}: invalid {kind}value: '{value}'"))
        }
        _ => None,
    }
}

/// Every word argparse would leave over, in argv order: clap stops at the first unknown one,
/// so parse again without it until the rest parses (or another kind of error shows).
fn unrecognized(argv: &[String]) -> Vec<String> {
    let mut remaining: Vec<(usize, &String)> = argv.iter().enumerate().collect();
    let mut extras: Vec<(usize, String)> = Vec::new();
    for _ in 0..argv.len() {
        let words = remaining.iter().map(|(_, w)| w.as_str());
        let Err(err) = Cli::try_parse_from(std::iter::once("glint").chain(words)) else {
            break;
        };
        if err.kind() != ErrorKind::UnknownArgument {
            break;
        }
        let Some(arg) = context_text(&err, ContextKind::InvalidArg) else {
            break;
        };
        let Some(pos) = remaining.iter().position(|(_, w)| **w == arg) else {
            break;
        };
        let (index, word) = remaining.remove(pos);
        extras.push((index, word.clone()));
    }
    extras.sort();
    extras.into_iter().map(|(_, w)| w).collect()
}

/// The subcommand words of `argv` (`glint image show`) and that subcommand.
fn command_path<'a>(root: &'a clap::Command, argv: &[String]) -> (String, &'a clap::Command) {
    let mut words = vec![root.get_name().to_string()];
    let mut current = root;
    for word in argv.iter().filter(|w| !w.starts_with('-')) {
        match current.find_subcommand(word) {
            Some(sub) => {
                words.push(word.clone());
                current = sub;
            }
            None if current.has_subcommands() => continue,
            None => break,
        }
    }
    (words.join(" "), current)
}

/// `--format <FORMAT>` → `-f/--format`, as argparse names an option by all its spellings.
fn option_name(subcommand: &clap::Command, clap_name: &str) -> String {
    let long = clap_name.split_whitespace().next().unwrap_or(clap_name);
    let Some(long_name) = long.strip_prefix("--") else {
        return long.to_string();
    };
    let short = subcommand
        .get_arguments()
        .find(|a| a.get_long() == Some(long_name))
        .and_then(|a| a.get_short());
    match short {
        Some(short) => format!("-{short}/{long}"),
        None => long.to_string(),
    }
}

/// cliff offers the formatters of the command's kind, sorted: listers have csv, the rest shell.
fn formatter_choices(path: &str, mut choices: Vec<String>) -> Vec<String> {
    let lister = path.ends_with(" list") || path.ends_with("versions show");
    let other_kind = if lister { "shell" } else { "csv" };
    choices.retain(|c| c != other_kind);
    choices.sort();
    choices
}

fn context_text(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::Strings(v) => v.first().cloned(),
        _ => None,
    }
}

fn context_strings(err: &clap::Error, kind: ContextKind) -> Vec<String> {
    match err.get(kind) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_line(argv: &[&str]) -> String {
        let err = Cli::try_parse_from(std::iter::once("glint").chain(argv.iter().copied())).expect_err("usage error");
        let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
        let report = argparse_report(&err, &argv).expect("argparse wording");
        report.trim_end().lines().last().unwrap_or_default().to_string()
    }

    #[test]
    fn usage_errors_end_with_argparse_line() {
        assert_eq!(
            last_line(&["image", "delete"]),
            "glint image delete: error: the following arguments are required: <image>"
        );
        assert_eq!(
            last_line(&["image", "set", "--public", "--private", "x"]),
            "glint image set: error: argument --private: not allowed with argument --public"
        );
        assert_eq!(
            last_line(&["image", "list", "--limit", "notanumber"]),
            "glint image list: error: argument --limit: invalid int value: 'notanumber'"
        );
        assert_eq!(
            last_line(&["image", "list", "-f", "xml"]),
            "glint image list: error: argument -f/--format: invalid choice: 'xml' \
             (choose from 'csv', 'json', 'table', 'value', 'yaml')"
        );
        assert_eq!(
            last_line(&["image", "create", "--bogus", "x", "name"]),
            "glint image create: error: unrecognized arguments: --bogus name"
        );
        assert_eq!(
            last_line(&["image", "show", "-c"]),
            "glint image show: error: argument -c/--column: expected one argument"
        );
    }
}
