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

#[test]
fn email_inboxes_are_set_up_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = chorus(dir.path()).args(args).env("CHORUS_PASSWORD", "whatever12").output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A workspace must exist first.
    let (ok, _, err) = run(&["inbox", "list"]);
    assert!(!ok && err.contains("no workspace"), "{err}");
    assert!(run(&["demo", "--contacts", "1"]).0);
    let settings = r#"{"email": {"addresses": ["Support@Acme.test"], "from_name": "Acme",
        "smtp": {"host": "smtp.acme.test", "port": 587, "security": "starttls", "username": "u", "password": "p"}}}"#;
    let file = dir.path().join("settings.json");
    std::fs::write(&file, settings).unwrap();
    let (ok, out, err) = run(&[
        "inbox",
        "create",
        "--kind",
        "email",
        "--name",
        "Support mail",
        "--settings-file",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let id = out.split_whitespace().nth(2).unwrap().to_string();
    let (ok, out, _) = run(&["inbox", "list"]);
    assert!(ok && out.contains("support@acme.test") && out.contains("Support mail"), "{out}");
    let (ok, out, err) = run(&["inbox", "set", &id, "--status", "sunset"]);
    assert!(ok && out.contains("sunset"), "{out}{err}");
    // Bad input names what is wrong.
    let (ok, _, err) =
        run(&["inbox", "create", "--kind", "email", "--name", "X", "--settings", r#"{"email": {"addresses": []}}"#]);
    assert!(!ok && err.contains("addresses"), "{err}");
    let (ok, _, err) = run(&["inbox", "create", "--kind", "email", "--name", "X", "--settings", "{not json"]);
    assert!(!ok && err.contains("--settings"), "{err}");
    let (ok, _, err) = run(&["inbox", "set", &id]);
    assert!(!ok && err.contains("nothing to change"), "{err}");
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
