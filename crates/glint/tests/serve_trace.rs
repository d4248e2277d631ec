//! `glint serve --trace mermaid` prints each request's internal calls.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

#[test]
fn serve_trace_prints_a_sequence_diagram_per_request() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_glint"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--trace",
            "mermaid",
            "--data-dir",
        ])
        .arg(dir.path())
        .args(support::serve_backend_args())
        .env("GLINT_ADMIN_PASSWORD", "secret")
        .env("GLINT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "glint serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Unauthenticated: client → image → client, no identity call.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /image/v2/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: bogus\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    let request_id = reply
        .lines()
        .find_map(|l| l.strip_prefix("x-openstack-request-id: "))
        .expect("request id")
        .trim()
        .to_owned();
    terminate(&child);
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let _ = child.wait();
    assert!(err.contains("sequenceDiagram\n    autonumber\n"), "{err}");
    assert!(err.contains(&format!("Note over client: {request_id}")), "{err}");
    assert!(err.contains("client->>image: GET /image/v2/images"), "{err}");
    assert!(err.contains("image->>identity: validate X-Auth-Token"), "{err}");
    assert!(err.contains("identity-->>image: refused"), "{err}");
    assert!(err.contains("image-->>client: 401"), "{err}");
}

/// SIGTERM, so the server drains and exits (its stderr then closes).
fn terminate(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
