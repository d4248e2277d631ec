//! glint-cli: an openstack-compatible client for the image, token, catalog and
//! versions commands. The `glint` binary calls [`run_client`] with argv after the
//! program name; it prints to stdout/stderr and returns the exit code.
//!
//! Modules: [`config`] (OS_* / --os-* / clouds.yaml), [`auth`] (Keystone v3 and
//! discovery), [`cache`] (token + discovery cache), [`http`] (session with
//! `--debug`), [`trace`] (`--trace mermaid`), [`session`] (authenticated calls),
//! [`resolve`] (name-or-ID lookup), [`output`] (cliff formatters), [`commands`].

pub mod auth;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod http;
pub mod output;
pub mod resolve;
pub mod session;
pub mod trace;
pub mod usage;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::cli::Cli;
use crate::error::CliError;
use crate::session::Session;

/// Run one client command; returns the process exit code.
pub fn run_client(args: Vec<OsString>) -> i32 {
    let words: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let argv = std::iter::once(OsString::from("glint")).chain(args);
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = e.exit_code();
            match usage::argparse_report(&e, &words) {
                Some(report) => eprint!("{report}"),
                None => {
                    let _ = e.print();
                }
            }
            return code;
        }
    };
    // Formatter choices that cliff rejects per command type: usage error, no I/O.
    if let Some((out, lister)) = cli.command.output() {
        if let Err(e) = out.validate(lister) {
            eprintln!("glint: error: {e}");
            return 2;
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> i32 {
    let debug = cli.debug;
    let cfg = match config::resolve(&cli.os) {
        Ok(c) => c,
        Err(e) => return report(&e, debug),
    };
    let http = match http::Http::new(debug, cli.trace.is_some(), cfg.cacert.as_deref(), cfg.insecure) {
        Ok(h) => h,
        Err(e) => return report(&e, debug),
    };
    let cache = if cli.no_cache {
        None
    } else {
        cli.cache_dir
            .clone()
            .or_else(cache::default_dir)
            .map(|d| cache::Cache::new(d, &cfg.cache_key()))
    };
    let mut session = Session::new(http, cfg, cache);
    let result = commands::dispatch(cli, &mut session).await;
    let code = match result {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            0
        }
        Err(e) => report(&e, debug),
    };
    if debug {
        eprintln!("glint: {} HTTP request(s)", session.http.request_count());
    }
    if let Some(d) = session.http.trace_diagram() {
        eprint!("{d}");
    }
    code
}

fn report(e: &CliError, debug: bool) -> i32 {
    if debug {
        eprintln!("{e:?}");
    }
    eprintln!("{e}");
    e.exit_code()
}
