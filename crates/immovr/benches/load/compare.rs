//! Background work against paused, measured side by side: two servers run at once, one with its
//! renderer and email worker running, one with them paused, each on a fresh database, and blocks
//! of sequential flows alternate between them (A B, then B A, …). The machine's drift — the noise
//! of a shared, two-core machine, larger from one minute to the next than what is measured —
//! then falls on both alike. After each block on the running server, its background work is let
//! finish (`settle`) before the paused one is driven, so each block meets only its own.

use std::path::Path;

use super::{Args, Http, PgDb, STEPS, Samples, Server, pct, sequential, settle, sign_up};

pub async fn interleaved(args: &Args, binary: &Path, pg_admin: Option<&str>, today: &str) {
    let rounds = args.rounds.max(1);
    let block = (args.sequential / rounds).max(1);
    println!(
        "\n### Background work running against paused, interleaved: {rounds} rounds of {block} sequential flows on each\n"
    );
    let running = Server::start(args, binary, PgDb::fresh(pg_admin).await, true).await;
    let paused = Server::start(args, binary, PgDb::fresh(pg_admin).await, false).await;
    let mut sides = Vec::new();
    for (server, n) in [(&running, 3_000_000), (&paused, 4_000_000)] {
        let http = Http { http: reqwest::Client::new(), base: server.base.clone() };
        let client = sign_up(&http, &server.token, n).await.expect("sign-up");
        let warm = sequential(&http, server, std::slice::from_ref(&client), today, 20).await;
        assert!(warm.failures.is_empty(), "warm-up failed: {:?}", warm.failures);
        settle(&http, server).await;
        sides.push((server, http, client, Samples::new()));
    }
    let mut ratios = Vec::new();
    for round in 0..rounds {
        let mut medians = [0.0; 2];
        // A B, then B A: neither side always goes first.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let (server, http, client, all) = &mut sides[side];
            let s = sequential(http, server, std::slice::from_ref(client), today, block).await;
            medians[side] = median(&s.flows);
            all.merge(s);
            if side == 0 {
                settle(http, server).await;
            }
        }
        ratios.push(medians[0] / medians[1]);
    }
    let [(_, _, _, run), (_, _, _, held)] = &sides[..] else { unreachable!() };
    println!("| step | running, median ms | paused, median ms | difference |\n|---|---|---|---|");
    for (name, (a, b)) in STEPS.iter().zip(run.steps.iter().zip(&held.steps)) {
        if !a.is_empty() {
            let (a, b) = (median(a), median(b));
            println!("| {name} | {a:.2} | {b:.2} | {:+.0} % |", (a / b - 1.0) * 100.0);
        }
    }
    let (a, b) = (median(&run.flows), median(&held.flows));
    println!("| **whole flow** | {a:.2} | {b:.2} | **{:+.0} %** |", (a / b - 1.0) * 100.0);
    ratios.sort_by(f64::total_cmp);
    let pcts: Vec<String> = ratios.iter().map(|r| format!("{:+.0}", (r - 1.0) * 100.0)).collect();
    println!(
        "\nper round (running block's median against the paused block's, sorted, %): {}; median of the rounds {:+.1} %",
        pcts.join(" "),
        (ratios[ratios.len() / 2] - 1.0) * 100.0
    );
    let failed = run.failures.len() + held.failures.len();
    if failed > 0 {
        println!("{failed} flows failed: {:?}", run.failures.iter().chain(&held.failures).next());
    }
    drop(sides);
    running.stop().await;
    paused.stop().await;
}

fn median(samples: &[std::time::Duration]) -> f64 {
    let mut s = samples.to_vec();
    s.sort();
    pct(&s, 0.5)
}
