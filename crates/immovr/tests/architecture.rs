//! The crates' dependencies point inward (ARCHITECTURE.md): `core` depends on no crate of ours;
//! `app` on `core`; `web` on `app` (never on the store, the file store, the documents, the
//! emails or the workers); the adapters (`store`, `files`, `documents`, `notify`, `worker`,
//! `platform`)
//! implement or use the application's ports; only the binary wires them all. Checked on the
//! manifests as `cargo metadata` reads them (normal dependencies; tests may use anything).

use std::collections::{BTreeMap, BTreeSet};

fn workspace_dependencies() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path", manifest])
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut crates = BTreeMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let (mut ours, mut theirs) = (BTreeSet::new(), BTreeSet::new());
        for d in p["dependencies"].as_array().unwrap() {
            if !d["kind"].is_null() {
                continue; // dev- and build-dependencies
            }
            let name = d["name"].as_str().unwrap().to_string();
            if name.starts_with("immovr") {
                ours.insert(name);
            } else {
                theirs.insert(name);
            }
        }
        crates.insert(p["name"].as_str().unwrap().to_string(), (ours, theirs));
    }
    crates
}

#[test]
fn dependencies_point_inward() {
    let crates = workspace_dependencies();
    let allowed: &[(&str, &[&str])] = &[
        ("immovr-core", &[]),
        ("immovr-app", &["immovr-core"]),
        ("immovr-store", &["immovr-core", "immovr-app"]),
        ("immovr-files", &["immovr-app"]),
        ("immovr-documents", &["immovr-core", "immovr-app"]),
        ("immovr-notify", &["immovr-core"]),
        ("immovr-platform", &["immovr-app"]),
        ("immovr-worker", &["immovr-core", "immovr-app", "immovr-notify"]),
        ("immovr-web", &["immovr-core", "immovr-app"]),
    ];
    for (name, ok) in allowed {
        let (ours, _) = crates.get(*name).unwrap_or_else(|| panic!("no crate {name}"));
        let extra: Vec<&String> = ours.iter().filter(|d| !ok.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "{name} must not depend on {extra:?}");
    }
    // The domain and the use cases know no database, no HTTP, no PDF library, no mail relay.
    let infrastructure =
        ["sqlx", "rusqlite", "axum", "hyper", "object_store", "krilla", "lettre", "maud", "reqwest", "minijinja"];
    for name in ["immovr-core", "immovr-app"] {
        let (_, theirs) = &crates[name];
        let found: Vec<&&str> = infrastructure.iter().filter(|i| theirs.contains(**i)).collect();
        assert!(found.is_empty(), "{name} depends on {found:?}");
    }
    // The web layer is HTTP: no SQL driver, no file store, no PDF or mail library.
    let (_, web) = &crates["immovr-web"];
    for i in ["sqlx", "rusqlite", "object_store", "krilla", "lettre", "minijinja"] {
        assert!(!web.contains(i), "immovr-web depends on {i}");
    }
    assert_eq!(crates.len(), 11, "a new crate? place it here: {:?}", crates.keys());
}
