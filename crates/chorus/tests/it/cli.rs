//! The command line: first start, migrate, user create, backup, demo.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn chorus(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chorus"));
    c.current_dir(dir).env_remove("CHORUS_DATABASE_URL").env_remove("CHORUS_CONFIG").env("CHORUS_LOG", "warn");
    c
}

fn wait_for_port(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "chorus did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn first_start_user_create_demo_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let port = super::free_port();
    let serve = chorus(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut serve = Killed(serve);
    wait_for_port(port);
    let _ = serve.0.kill();
    let out = serve.0.wait_with_output_ref();
    assert!(out.contains("Sign in as owner@example.com with the password"), "{out}");
    assert!(dir.path().join("chorus-data/chorus.db").exists(), "data in ./chorus-data by default");

    let migrate = chorus(dir.path()).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("up to date"));

    let created = chorus(dir.path())
        .args(["user", "create", "--email", "kai@acme.test", "--name", "Kai", "--role", "admin"])
        .env("CHORUS_PASSWORD", "kai password")
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let bad = chorus(dir.path())
        .args(["user", "create", "--email", "nope", "--name", "X"])
        .env("CHORUS_PASSWORD", "whatever12")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("email"), "{}", String::from_utf8_lossy(&bad.stderr));

    let demo = chorus(dir.path()).args(["demo", "--contacts", "5"]).output().unwrap();
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));

    let copy = dir.path().join("copy.db");
    let backup = chorus(dir.path()).args(["backup", copy.to_str().unwrap()]).output().unwrap();
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    assert!(std::fs::metadata(&copy).unwrap().len() > 0);
    let again = chorus(dir.path()).args(["backup", copy.to_str().unwrap()]).output().unwrap();
    assert!(!again.status.success(), "never overwrites a file");

    let bad_config = chorus(dir.path()).args(["migrate", "--workers", "0"]).output().unwrap();
    assert_eq!(bad_config.status.code(), Some(2));
}

trait OutputText {
    fn wait_with_output_ref(&mut self) -> String;
}

impl OutputText for Child {
    fn wait_with_output_ref(&mut self) -> String {
        use std::io::Read;
        let _ = self.wait();
        let mut s = String::new();
        if let Some(mut out) = self.stdout.take() {
            let _ = out.read_to_string(&mut s);
        }
        s
    }
}
