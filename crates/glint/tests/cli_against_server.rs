//! End-to-end: start `glint serve` on a free port and drive the client
//! against it — in-process through `glint_cli::run_client` (exit codes, cache)
//! and as a subprocess (`glint image …`) to check output.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

/// Cargo builds the `glint` binary for this package's integration tests:
/// it is both the server and the client under test.
fn glint_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_glint"))
}

fn client_bin() -> PathBuf {
    glint_bin()
}

struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Option<Server> {
    let bin = glint_bin();
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let dir = tempfile::tempdir().ok()?;
    let url = format!("http://127.0.0.1:{port}");
    let child = Command::new(bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .args(["--public-url", &url])
        .args(support::serve_backend_args())
        .env("GLINT_ADMIN_PASSWORD", "secret")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            let cache = tempfile::tempdir().ok()?;
            return Some(Server {
                child,
                url,
                _dir: dir,
                cache,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

impl Server {
    fn auth_args(&self) -> Vec<String> {
        [
            "--os-auth-url",
            &format!("{}/identity", self.url),
            "--os-username",
            "admin",
            "--os-password",
            "secret",
            "--os-project-name",
            "admin",
            "--os-user-domain-name",
            "Default",
            "--os-project-domain-name",
            "Default",
            "--cache-dir",
            &self.cache.path().to_string_lossy(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// In-process run; returns the exit code.
    fn run(&self, args: &[&str]) -> i32 {
        let mut v: Vec<std::ffi::OsString> = self.auth_args().into_iter().map(Into::into).collect();
        v.extend(args.iter().map(Into::into));
        glint_cli::run_client(v)
    }

    /// Subprocess run, stdin closed, OS_* variables removed.
    fn out(&self, args: &[&str]) -> Output {
        let mut c = Command::new(client_bin());
        for (k, _) in std::env::vars() {
            if k.starts_with("OS_") {
                c.env_remove(k);
            }
        }
        c.args(self.auth_args()).args(args).stdin(Stdio::null());
        c.output().expect("run glint")
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn count_requests(o: &Output) -> usize {
    stderr(o).lines().filter(|l| l.starts_with("REQ: curl")).count()
}

#[test]
fn end_to_end() {
    let srv = start().expect("glint serve starts and listens");

    // Auth + list, cold then warm.
    let o = srv.out(&["--debug", "image", "list", "-f", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "[]\n");
    assert_eq!(
        count_requests(&o),
        4,
        "discovery, token, image discovery, list: {}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("X-Auth-Token: {SHA256}"));
    let o = srv.out(&["--debug", "image", "list", "-f", "json"]);
    assert_eq!(count_requests(&o), 1, "warm list uses the cache: {}", stderr(&o));

    // Create with data, show in several formats.
    let data = tempfile::NamedTempFile::new().unwrap();
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(data.path(), &bytes).unwrap();
    let file = data.path().to_string_lossy().to_string();
    let o = srv.out(&[
        "image",
        "create",
        "e2e-img",
        "--file",
        &file,
        "--property",
        "k=v",
        "--tag",
        "t1",
        "-f",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let img: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(img["name"], "e2e-img");
    assert_eq!(img["status"], "active");
    assert_eq!(img["size"], 200_000);
    assert_eq!(img["tags"], serde_json::json!(["t1"]));
    assert_eq!(img["properties"]["k"], "v");
    assert_eq!(img["properties"]["owner_specified.openstack.object"], "images/e2e-img");
    let id = img["id"].as_str().unwrap().to_string();

    let o = srv.out(&["image", "show", "e2e-img", "-f", "value", "-c", "id"]);
    assert_eq!(stdout(&o), format!("{id}\n"));
    let o = srv.out(&["image", "show", "e2e-img"]);
    assert!(stdout(&o).contains("| properties       | k='v', "), "{}", stdout(&o));
    let o = srv.out(&["image", "list", "-f", "value"]);
    assert_eq!(stdout(&o), format!("{id} e2e-img active\n"));

    // Save and verify.
    let saved = tempfile::NamedTempFile::new().unwrap();
    let out_path = saved.path().to_string_lossy().to_string();
    assert_eq!(srv.run(&["image", "save", "--file", &out_path, "e2e-img"]), 0);
    assert_eq!(std::fs::read(saved.path()).unwrap(), bytes);

    // Set / unset.
    assert_eq!(
        srv.run(&[
            "image",
            "set",
            "--property",
            "k2=v2",
            "--tag",
            "t2",
            "--protected",
            "e2e-img"
        ]),
        0
    );
    let o = srv.out(&["image", "show", &id, "-f", "json"]);
    let img: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(img["protected"], true);
    assert_eq!(img["properties"]["k2"], "v2");
    let o = srv.out(&[
        "image",
        "unset",
        "--tag",
        "t1",
        "--property",
        "k",
        "--property",
        "nope",
        "e2e-img",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("property unset failed, 'nope' is a nonexistent property"));
    assert!(stderr(&o).contains("Failed to unset 1 of 2 properties."));

    // Protected delete fails with OSC's messages; the loop keeps going.
    let o = srv.out(&["image", "delete", "missing-one", "e2e-img"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("Failed to delete image with name or ID 'missing-one': No Image found for missing-one"),
        "{err}"
    );
    assert!(
        err.contains("Failed to delete image with name or ID 'e2e-img': ForbiddenException: 403"),
        "{err}"
    );
    assert!(err.contains("Failed to delete 2 of 2 images."), "{err}");
    assert_eq!(srv.run(&["image", "set", "--unprotected", "e2e-img"]), 0);

    // Duplicates.
    assert_eq!(
        srv.run(&["image", "create", "dup", "-f", "value", "-c", "id", "--file", &file]),
        0
    );
    assert_eq!(
        srv.run(&["image", "create", "dup", "-f", "value", "-c", "id", "--file", &file]),
        0
    );
    let o = srv.out(&["image", "show", "dup"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("More than one Image exists with the name 'dup'."));

    // A warm delete by name: ?name= then DELETE.
    let o = srv.out(&["--debug", "image", "delete", "e2e-img"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        count_requests(&o) <= 3,
        "warm delete made {} requests",
        count_requests(&o)
    );

    // Trace.
    let o = srv.out(&["--trace", "mermaid", "image", "list"]);
    let err = stderr(&o);
    assert!(err.contains("sequenceDiagram") && err.contains("autonumber"), "{err}");
    assert!(err.contains("glint->>glance: GET /image/v2/images"), "{err}");

    // Token and catalog.
    let o = srv.out(&["token", "issue", "-f", "json"]);
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(t["id"].is_string() && t["project_id"].is_string() && t["expires"].is_string());
    let o = srv.out(&["catalog", "list", "-f", "value", "-c", "Type"]);
    assert!(
        stdout(&o).contains("image") && stdout(&o).contains("identity"),
        "{}",
        stdout(&o)
    );

    // Failures: usage (2, no I/O), wrong password (1), invalid cached token is refreshed.
    assert_eq!(srv.run(&["image", "delete"]), 2);
    assert_eq!(srv.run(&["image", "show", "x", "-f", "csv"]), 2);
    assert_eq!(srv.run(&["--no-cache", "--os-password", "wrong", "image", "list"]), 1);
    let token = t["id"].as_str().unwrap().to_string();
    // Revoke the cached token behind the cache's back: the next command gets a
    // 401, drops the cache, authenticates again and retries once.
    assert_eq!(srv.run(&["--no-cache", "token", "revoke", &token]), 0);
    let o = srv.out(&["--debug", "image", "list", "-f", "value"]);
    assert!(
        o.status.success(),
        "401 on a cached token re-authenticates: {}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("RESP: [401]"), "{}", stderr(&o));
    let o = srv.out(&["--debug", "token", "issue", "-f", "value", "-c", "id"]);
    assert_eq!(count_requests(&o), 0, "the new token was cached");
    assert_ne!(stdout(&o).trim(), token);
}
