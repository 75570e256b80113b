//! Embeds the chat widget's files: every file of `assets/widget/` (the loader, the frame
//! page, its script and style) and every language of `assets/widget/i18n/` (`<code>.json`),
//! so adding a language is adding one file.

use std::fmt::Write as _;
use std::path::Path;

fn files(dir: &Path, ext: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if !path.is_file() {
                continue;
            }
            if ext.is_some_and(|x| path.extension().and_then(|e| e.to_str()) != Some(x)) {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let name = match ext {
                Some(x) => name.trim_end_matches(&format!(".{x}")).to_string(),
                None => name,
            };
            out.push((name, path.display().to_string()));
        }
    }
    out.sort();
    out
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let widget = Path::new(&root).join("assets").join("widget");
    let i18n = widget.join("i18n");
    println!("cargo:rerun-if-changed={}", widget.display());
    println!("cargo:rerun-if-changed={}", i18n.display());
    let mut code =
        String::from("/// The widget's files: (name, bytes).\npub(crate) const WIDGET_FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in files(&widget, None) {
        println!("cargo:rerun-if-changed={path}");
        let _ = writeln!(code, "    ({name:?}, include_bytes!({path:?})),");
    }
    code.push_str(
        "];\n/// The widget's languages: (code, JSON).\npub(crate) const WIDGET_LANGUAGES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in files(&i18n, Some("json")) {
        println!("cargo:rerun-if-changed={path}");
        let _ = writeln!(code, "    ({name:?}, include_str!({path:?})),");
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(Path::new(&out).join("widget_files.rs"), code) {
        panic!("cannot write the widget's file list: {e}");
    }
}
