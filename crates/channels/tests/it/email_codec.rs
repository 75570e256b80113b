//! tmp
use chorus_channels::email::parse;

#[test]
fn dump_all() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/email");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names {
        let raw = std::fs::read(&p).unwrap();
        let mut m = parse(&raw);
        m.raw.clear();
        for part in &mut m.parts { part.bytes.truncate(20); }
        println!("=== {}\n{:#?}", p.file_name().unwrap().to_string_lossy(), m);
    }
}
