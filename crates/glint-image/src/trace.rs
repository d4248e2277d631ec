//! `glint serve --trace mermaid`: each request's internal calls (image →
//! identity, image → store) recorded in a task-local list and printed as a
//! Mermaid sequence diagram, labelled with the request id.

use std::cell::RefCell;
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    pub from: &'static str,
    pub to: &'static str,
    /// A reply (dashed arrow) rather than a call.
    pub reply: bool,
    pub label: String,
}

tokio::task_local! {
    static EVENTS: RefCell<Vec<TraceEvent>>;
}

/// Records a call or reply if the current request is being traced; free otherwise.
pub fn record(from: &'static str, to: &'static str, reply: bool, label: impl FnOnce() -> String) {
    let _ = EVENTS.try_with(|events| {
        events.borrow_mut().push(TraceEvent {
            from,
            to,
            reply,
            label: label(),
        })
    });
}

/// Runs `fut` with tracing on and returns what it recorded.
pub async fn traced<F: Future>(fut: F) -> (F::Output, Vec<TraceEvent>) {
    EVENTS
        .scope(RefCell::new(Vec::new()), async move {
            let out = fut.await;
            let events = EVENTS.with(|e| e.take());
            (out, events)
        })
        .await
}

/// The diagram for one request.
pub fn mermaid(request_id: &str, events: &[TraceEvent]) -> String {
    let mut out = String::from("sequenceDiagram\n    autonumber\n");
    let mut seen: Vec<&str> = Vec::new();
    for e in events {
        for p in [e.from, e.to] {
            if !seen.contains(&p) {
                seen.push(p);
            }
        }
    }
    for p in &seen {
        out.push_str(&format!("    participant {p}\n"));
    }
    out.push_str(&format!(
        "    Note over {}: {request_id}\n",
        seen.first().copied().unwrap_or("client")
    ));
    for e in events {
        let arrow = if e.reply { "-->>" } else { "->>" };
        // Mermaid reserves ';' and '#' in messages.
        let label = e.label.replace(';', ",").replace('#', "");
        out.push_str(&format!("    {}{arrow}{}: {label}\n", e.from, e.to));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_only_inside_a_traced_request() {
        record("image", "store", false, || "ignored".into());
        let ((), events) = traced(async {
            record("client", "image", false, || "GET /image/v2/images".into());
            record("image", "identity", false, || "validate token".into());
            record("identity", "image", true, || "valid".into());
            record("image", "client", true, || "200".into());
        })
        .await;
        assert_eq!(events.len(), 4);
        let diagram = mermaid("req-1", &events);
        assert!(diagram.starts_with("sequenceDiagram\n    autonumber\n"));
        assert!(diagram.contains("    participant client\n    participant image\n    participant identity\n"));
        assert!(diagram.contains("    client->>image: GET /image/v2/images\n"));
        assert!(diagram.contains("    identity-->>image: valid\n"));
        assert!(diagram.contains("Note over client: req-1"));
    }
}
