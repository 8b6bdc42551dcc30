// The migrations are embedded in the binary: `sqlx::migrate!` for PostgreSQL, and for SQLite a
// list generated here (`migrations::sqlite` applies it). Rebuild when a file changes.
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations/sqlite")
        .map(|e| e.expect("a migration file").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let (version, description) = name.split_once('_').expect("NNNN_description.sql");
        let version: i64 = version.parse().expect("a numbered migration");
        let description = description.replace('_', " ");
        writeln!(out, "    ({version}, {description:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    out.push(']');
    std::fs::write(std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("sqlite_migrations.rs"), out).unwrap();
}
