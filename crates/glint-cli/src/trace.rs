//! `--trace mermaid`: the command's HTTP exchange as a Mermaid sequence diagram.

#[derive(Debug, Clone)]
struct Event {
    /// The URL of the request this arrow belongs to (participants are
    /// resolved when rendering, once the catalog is known).
    url: String,
    text: String,
    reply: bool,
}

/// Collects arrows; participants are named after catalog services.
#[derive(Debug, Default)]
pub struct Trace {
    /// (url prefix, participant id, label), longest prefix wins.
    services: Vec<(String, String, String)>,
    events: Vec<Event>,
}

pub const CLIENT: &str = "glint";

fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if out.is_empty() {
        "service".into()
    } else {
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('#', "#35;").replace(';', "#59;")
}

impl Trace {
    /// Name the service behind `url_prefix` (e.g. the catalog's `glance (image)`).
    pub fn register(&mut self, url_prefix: &str, name: &str, service_type: &str) {
        let prefix = url_prefix.trim_end_matches('/').to_string();
        let id = sanitize(name);
        let label = if name == service_type || service_type.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({service_type})")
        };
        self.services.retain(|(p, _, _)| p != &prefix);
        self.services.push((prefix, id, label));
    }

    /// The participant for a URL: the registered service whose endpoint is the
    /// longest prefix of the URL, or whose endpoint the URL is a prefix of (a
    /// discovery request on an unversioned root); else the host.
    fn participant_for(&self, url: &str) -> (String, String) {
        let url_t = url.trim_end_matches('/');
        let best = self
            .services
            .iter()
            .filter(|(p, _, _)| {
                url_t == p
                    || url_t.starts_with(&format!("{p}/"))
                    || url_t.starts_with(&format!("{p}?"))
                    || p.starts_with(&format!("{url_t}/"))
            })
            .max_by_key(|(p, _, _)| if url_t.starts_with(p.as_str()) { p.len() } else { 0 })
            .map(|(_, id, label)| (id.clone(), label.clone()));
        best.unwrap_or_else(|| {
            let host = url
                .split("://")
                .nth(1)
                .unwrap_or(url)
                .split('/')
                .next()
                .unwrap_or(url)
                .to_string();
            (sanitize(&host), host)
        })
    }

    pub fn request(&mut self, method: &str, url: &str) -> String {
        self.events.push(Event {
            url: url.to_string(),
            text: format!("{method} {}", path_of(url)),
            reply: false,
        });
        url.to_string()
    }

    pub fn response(&mut self, url: &str, status: u16, reason: &str, request_id: Option<&str>) {
        let mut text = format!("{status} {reason}");
        if let Some(r) = request_id {
            text.push_str(&format!(" ({r})"));
        }
        self.events.push(Event {
            url: url.to_string(),
            text,
            reply: true,
        });
    }

    pub fn failure(&mut self, url: &str, what: &str) {
        self.events.push(Event {
            url: url.to_string(),
            text: format!("x {what}"),
            reply: true,
        });
    }

    pub fn render(&self) -> String {
        let mut out = String::from("sequenceDiagram\n    autonumber\n");
        out.push_str(&format!("    participant {CLIENT}\n"));
        let mut seen: Vec<String> = Vec::new();
        let mut arrows = String::new();
        for e in &self.events {
            let (id, label) = self.participant_for(&e.url);
            if !seen.contains(&id) {
                if id == label {
                    out.push_str(&format!("    participant {id}\n"));
                } else {
                    out.push_str(&format!("    participant {id} as {}\n", escape(&label)));
                }
                seen.push(id.clone());
            }
            let (from, to, arrow) = if e.reply {
                (id.as_str(), CLIENT, "-->>")
            } else {
                (CLIENT, id.as_str(), "->>")
            };
            arrows.push_str(&format!("    {from}{arrow}{to}: {}\n", escape(&e.text)));
        }
        out.push_str(&arrows);
        out
    }
}

/// The path and query of a URL (`/v2/images?name=x`).
pub fn path_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].to_string(),
        None => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagram() {
        let mut t = Trace::default();
        t.register("http://h/identity/v3", "keystone", "identity");
        t.register("http://h/image", "glance", "image");
        let p = t.request("GET", "http://h/identity");
        t.response(&p, 300, "Multiple Choices", None);
        let p = t.request("GET", "http://h/image/v2/images?name=x");
        t.response(&p, 200, "OK", Some("req-1"));
        let p = t.request("DELETE", "http://h/image/v2/images/1");
        t.response(&p, 204, "No Content", None);
        let want = "sequenceDiagram\n    autonumber\n    participant glint\n    participant keystone as keystone (identity)\n    participant glance as glance (image)\n    glint->>keystone: GET /identity\n    keystone-->>glint: 300 Multiple Choices\n    glint->>glance: GET /image/v2/images?name=x\n    glance-->>glint: 200 OK (req-1)\n    glint->>glance: DELETE /image/v2/images/1\n    glance-->>glint: 204 No Content\n";
        assert_eq!(t.render(), want);
    }
}
