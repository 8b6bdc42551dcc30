//! Render benchmark (release): time per document for each kind, the first render in a fresh
//! process (fonts loaded, caches cold) and warm renders after it, and the process's peak memory.
//! `cargo bench -p immovr-documents --bench render`

use std::time::{Duration, Instant};

use immovr_documents::{Renderer, samples};

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let docs = samples::all();
    let started = Instant::now();
    let renderer = Renderer::new();
    let (_, invoice) = docs.iter().find(|(n, _)| *n == "invoice").unwrap();
    let first = renderer.render(invoice, None).expect("render");
    println!(
        "first invoice in a fresh process (fonts loaded, caches cold): {:.1} ms, {} bytes",
        ms(started.elapsed()),
        first.len()
    );
    const N: u32 = 50;
    for (name, snapshot) in &docs {
        let mut times = Vec::with_capacity(N as usize);
        for _ in 0..N {
            let t = Instant::now();
            let pdf = renderer.render(snapshot, None).expect("render");
            times.push(t.elapsed());
            std::hint::black_box(pdf);
        }
        times.sort();
        let median = times[times.len() / 2];
        let p95 = times[times.len() * 95 / 100];
        println!("{name:<15} warm: median {:.1} ms, p95 {:.1} ms ({N} renders)", ms(median), ms(p95));
    }
    // Distinct documents, as a server renders them: every invoice has its own number, client,
    // lines and amounts (nothing is cached between renders, so it costs what a repeat does).
    let mut times = Vec::new();
    for i in 0..60u32 {
        let mut snapshot = invoice.clone();
        snapshot.number = format!("F-2026-{:04}", 100 + i);
        snapshot.client.name = format!("Agence {i} Immobilier");
        if let Some(inv) = snapshot.invoice.as_mut() {
            inv.number = snapshot.number.clone();
            for (k, l) in inv.lines.iter_mut().enumerate() {
                l.description = format!("{} — lot {}", l.description, i * 7 + k as u32);
                l.total_excl_vat += rust_decimal::Decimal::from(i);
            }
        }
        let t = Instant::now();
        std::hint::black_box(renderer.render(&snapshot, None).expect("render"));
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "distinct invoices (own number, client, lines): median {:.1} ms, p95 {:.1} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100])
    );
    println!("peak memory of the process: {:.0} MiB", peak_rss_mib());
}
