//! `catalog list`, `catalog show` (from the token's catalog).

use serde_json::Value;

use crate::cli::CatalogCmd;
use crate::error::Result;
use crate::output::{emit_list, emit_one, Cell};
use crate::session::Session;

fn endpoints(svc: &Value) -> Vec<Value> {
    svc.get("endpoints")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

pub async fn run(cmd: CatalogCmd, s: &mut Session) -> Result<String> {
    s.ensure_auth().await?;
    let catalog = s.catalog();
    match cmd {
        CatalogCmd::List { out } => {
            let rows = catalog
                .iter()
                .map(|svc| {
                    vec![
                        Cell::Val(svc.get("name").cloned().unwrap_or(Value::Null)),
                        Cell::Val(svc.get("type").cloned().unwrap_or(Value::Null)),
                        Cell::Endpoints(endpoints(svc)),
                    ]
                })
                .collect();
            emit_list(&out, &["Name", "Type", "Endpoints"], rows)
        }
        CatalogCmd::Show { service, out } => {
            let found = catalog.iter().find(|svc| {
                svc.get("name").and_then(Value::as_str) == Some(service.as_str())
                    || svc.get("type").and_then(Value::as_str) == Some(service.as_str())
            });
            let Some(svc) = found else {
                eprintln!("service {service} not found\n");
                return emit_one(&out, Vec::new());
            };
            let mut fields: Vec<(String, Cell)> = Vec::new();
            if let Value::Object(m) = svc {
                for (k, v) in m {
                    match k.as_str() {
                        "endpoints_links" => {}
                        "endpoints" => fields.push((k.clone(), Cell::Endpoints(endpoints(svc)))),
                        _ => fields.push((k.clone(), Cell::Val(v.clone()))),
                    }
                }
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            emit_one(&out, fields)
        }
    }
}
