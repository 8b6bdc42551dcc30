//! Ten years of a busy studio, generated: clients, quote requests, quotes with their versions,
//! purchase orders, orders with stages and delivered files, invoices with payments and a few
//! credit notes, the issued documents' snapshots, the audit trail, sent emails and the search
//! terms — to measure the product on the history it will hold (`immovr demo --scale F`).
//!
//! Realistic rather than random: each quote follows the journey (sent, sometimes revised after a
//! request for changes, accepted or declined or left to expire; the accepted ones validated,
//! delivered, invoiced and paid, a few late), at dates spread over the years and each step a
//! few days after the previous one; numbers are gapless per series and year, in the order of the
//! dates they were issued on; the most recent records are still in progress. Rows are written
//! in large batches, with their ids chosen here, so a full history takes minutes, not hours.
//! Deterministic: the same scale and seed give the same history.

use std::collections::HashMap;

use immovr_core::listing::index_terms;
use immovr_core::model::*;
use immovr_core::money::{LineInput, Totals, totals};
use immovr_core::ports::{add_days, studio_timezone};
use immovr_core::rules::{document_number, number_series};
use immovr_core::{Context, Result};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use serde_json::json;

use crate::db::{Tx, V};
use crate::support::company;

mod journeys;
mod tables;

/// How much history: `scale` 1.0 is 20,000 clients and 80,000 quotes over ten years.
#[derive(Debug, Clone)]
pub struct HistorySpec {
    pub scale: f64,
    pub years: i64,
    pub seed: u64,
    /// The password hash every generated client logs in with (hashed once).
    pub client_password_hash: String,
    /// The file store key of the file every delivered order points to.
    pub deliverable_key: String,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct HistoryReport {
    pub clients: usize,
    pub requests: usize,
    pub quotes: usize,
    pub purchase_orders: usize,
    pub orders: usize,
    pub invoices: usize,
    pub payments: usize,
    pub credit_notes: usize,
    pub documents: usize,
    pub audit_events: usize,
    pub emails: usize,
    pub search_terms: usize,
}

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIRST: &[&str] = &[
    "Claire", "Marc", "Inès", "Julien", "Sophie", "Thomas", "Camille", "Nicolas", "Léa", "Antoine", "Manon", "Hugo",
    "Chloé", "Lucas", "Emma", "Louis", "Sarah", "Paul", "Julie", "Maxime", "Élodie", "Kevin", "Anaïs", "Romain",
];
const LAST: &[&str] = &[
    "Dubois", "Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel",
    "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Blanc",
];
const AGENCY: &[&str] =
    &["Immobilier", "Patrimoine", "Habitat", "Transactions", "Promotion", "Conseil", "Résidences", "Foncière"];
const AGENCY_NAME: &[&str] =
    &["Lumière", "Horizon", "Azur", "Bellevue", "Prestige", "Carré", "Rivage", "Montagne", "Cité", "Atlantique"];
const CITIES: &[(&str, &str)] = &[
    ("75011", "Paris"),
    ("69002", "Lyon"),
    ("13006", "Marseille"),
    ("33000", "Bordeaux"),
    ("31000", "Toulouse"),
    ("44000", "Nantes"),
    ("59000", "Lille"),
    ("06000", "Nice"),
    ("67000", "Strasbourg"),
    ("35000", "Rennes"),
];
const STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "quai Saint-Antoine",
    "boulevard Victor Hugo",
    "place Bellecour",
    "chemin des Vignes",
    "allée des Pins",
    "rue Pasteur",
    "avenue des Champs",
    "impasse du Moulin",
];
const PROPERTIES: &[&str] = &["Appartement", "Maison", "Villa", "Loft", "Programme neuf", "Local commercial"];
/// (catalogue code, unit, unit price, VAT rate).
const SERVICES: &[(&str, &str, &str, &str, i64)] = &[
    ("VISITE-360", "Visite virtuelle 360°", "forfait", "390", 20),
    ("RENDU-3D-EXT", "Rendu 3D extérieur photoréaliste", "image", "450", 20),
    ("RENDU-3D-INT", "Rendu 3D intérieur photoréaliste", "image", "350", 20),
    ("HOME-STAGING", "Home staging virtuel", "pièce", "89", 20),
    ("VIDEO-DRONE", "Vidéo aérienne par drone", "forfait", "590", 20),
    ("PLAN-2D", "Plan 2D coté", "plan", "120", 10),
    ("PLAN-3D", "Plan 3D meublé", "plan", "190", 20),
    ("OPT-EXPRESS", "Livraison express sous 48 h", "forfait", "150", 20),
];

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Accepted,
    Declined,
    Expired,
}

struct GenClient {
    id: Id,
    client: Client,
}

/// One quote's journey, with the dates of its steps (`None`: not reached yet).
struct Flow {
    client: usize,
    request_id: Option<Id>,
    /// The request's property address, which its invoice names.
    property_address: Option<String>,
    title: String,
    lines: Vec<immovr_core::money::Line>,
    totals: Totals,
    created: Timestamp,
    sent: Option<Timestamp>,
    /// Changes requested on v1, then v2 drafted and (maybe) sent.
    revised: Option<(Timestamp, Timestamp, Option<Timestamp>)>,
    outcome: Outcome,
    answered: Option<Timestamp>,
    validated: Option<Timestamp>,
    delivered: Option<Timestamp>,
    /// Payments (date, share of the total): one, two for a partial then the rest, or none.
    payments: Vec<(Timestamp, Decimal)>,
    credit: Option<Timestamp>,
    // Filled in later.
    ids: FlowIds,
}

#[derive(Default, Clone)]
struct FlowIds {
    v1: Id,
    v2: Option<Id>,
    po: Option<Id>,
    order: Option<Id>,
    invoice: Option<Id>,
    credit_note: Option<Id>,
    quote_number: Option<String>,
    po_number: Option<String>,
    invoice_number: Option<String>,
    credit_number: Option<String>,
}

fn ts_after(t: Timestamp, days: f64) -> Timestamp {
    t + SignedDuration::from_secs((days * 86_400.0) as i64)
}

fn local_date(t: Timestamp) -> Date {
    t.to_zoned(studio_timezone()).date()
}

/// Rows for one table: the column list and the values of each row.
struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<V>>,
}

impl Rows {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Rows {
        Rows { table, columns, rows: Vec::new() }
    }
    fn push(&mut self, row: Vec<V>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
        self.rows.push(row);
    }
}

/// Inserts rows in statements of a few hundred, each transaction a few thousand rows.
async fn write(store: &crate::SqlStore, rows: Rows) -> Result<usize> {
    let n = rows.rows.len();
    let per_statement = (30_000 / rows.columns.len()).clamp(1, 500);
    let head = format!("INSERT INTO {} ({}) VALUES ", rows.table, rows.columns.join(", "));
    let mut iter = rows.rows.into_iter().peekable();
    while iter.peek().is_some() {
        let mut tx = store.db.write().await?;
        for _ in 0..20 {
            let chunk: Vec<Vec<V>> = iter.by_ref().take(per_statement).collect();
            if chunk.is_empty() {
                break;
            }
            insert_chunk(&mut tx, &head, rows.columns.len(), chunk).await?;
        }
        tx.commit().await?;
    }
    Ok(n)
}

async fn insert_chunk(tx: &mut Tx, head: &str, width: usize, chunk: Vec<Vec<V>>) -> Result<()> {
    let mut sql = String::with_capacity(head.len() + chunk.len() * width * 6);
    sql.push_str(head);
    let mut args = Vec::with_capacity(chunk.len() * width);
    for (i, row) in chunk.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for j in 0..width {
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i * width + j + 1));
        }
        sql.push(')');
        args.extend(row);
    }
    tx.exec(&sql, args).await?;
    Ok(())
}

/// What the journeys' rows are drawn from.
struct Ctx<'a> {
    pub spec: &'a HistorySpec,
    pub company: &'a CompanySettings,
    pub clients: &'a [GenClient],
    pub now: Timestamp,
}

/// The tables whose ids the generator chooses (continuing after what is there).
const TABLES: [&str; 14] = [
    "clients",
    "users",
    "quote_requests",
    "quotes",
    "purchase_orders",
    "orders",
    "stages",
    "deliverables",
    "invoices",
    "payments",
    "credit_notes",
    "documents",
    "audit_events",
    "outbox",
];

impl crate::SqlStore {
    /// Appends a generated history to this database (after the demo seed: it reuses the
    /// company settings and continues the number series).
    pub async fn generate_history(&self, spec: &HistorySpec) -> Result<HistoryReport> {
        let mut rng = Rng(spec.seed);
        let now = self.now();
        let company = {
            let mut tx = self.db.read_long().await?;
            company(&mut tx).await?
        };
        let start = now - SignedDuration::from_hours(24 * 365 * spec.years.max(1));
        let span_days = (now.duration_since(start).as_secs() / 86_400) as f64;
        let n_clients = ((20_000.0 * spec.scale) as usize).max(2);
        let n_flows = ((80_000.0 * spec.scale) as usize).max(4);

        // Ids continue after what is there.
        let mut next: HashMap<&'static str, Id> = HashMap::new();
        {
            let mut tx = self.db.read_long().await?;
            for t in TABLES {
                let max = tx.one(&format!("SELECT COALESCE(MAX(id), 0) AS m FROM {t}"), vec![]).await?.i64("m")?;
                next.insert(t, max + 1);
            }
        }

        // Clients, each with a login.
        let mut clients = Vec::with_capacity(n_clients);
        let mut rows_clients = Rows::new(
            "clients",
            &[
                "id",
                "kind",
                "name",
                "email",
                "phone",
                "company_name",
                "siren",
                "siret",
                "vat_number",
                "billing_address",
                "language",
                "created_at",
                "notify_email",
            ],
        );
        let mut rows_users =
            Rows::new("users", &["id", "email", "name", "password_hash", "client_id", "language", "created_at"]);
        for i in 0..n_clients {
            let cid = next_id(&mut next, "clients");
            let company_client = rng.chance(0.7);
            let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
            let (postcode, city) = *rng.pick(CITIES);
            let address = Address {
                line1: format!("{} {}", 1 + rng.below(120), rng.pick(STREETS)),
                line2: None,
                postcode: postcode.into(),
                city: city.into(),
                country: "FR".into(),
            };
            let company_name =
                company_client.then(|| format!("{} {} {}", rng.pick(AGENCY_NAME), rng.pick(AGENCY), 1 + i % 97));
            let language = if rng.chance(0.08) { Language::En } else { Language::Fr };
            let created = ts_after(start, span_days * (i as f64 / n_clients as f64) * 0.97);
            let email = format!("client{cid}@history.example");
            let client = Client {
                id: cid,
                kind: if company_client { ClientKind::Company } else { ClientKind::Person },
                name: name.clone(),
                email: email.clone(),
                phone: Some(format!(
                    "+33 6 {:02} {:02} {:02} {:02}",
                    rng.below(100),
                    rng.below(100),
                    rng.below(100),
                    rng.below(100)
                )),
                company_name: company_name.clone(),
                siren: company_client.then(|| "123456782".to_string()),
                siret: company_client.then(|| "12345678200002".to_string()),
                vat_number: company_client.then(|| "FR11123456782".to_string()),
                billing_address: Some(address.clone()),
                language,
                notify_email: true,
                created_at: created,
                erasure_requested_at: None,
                erased_at: None,
            };
            rows_clients.push(vec![
                cid.into(),
                client.kind.as_str().into(),
                name.as_str().into(),
                email.as_str().into(),
                client.phone.clone().into(),
                company_name.clone().into(),
                client.siren.clone().into(),
                client.siret.clone().into(),
                client.vat_number.clone().into(),
                serde_json::to_string(&address).context("an address")?.into(),
                language.as_str().into(),
                created.into(),
                1i64.into(),
            ]);
            rows_users.push(vec![
                next_id(&mut next, "users").into(),
                email.as_str().into(),
                name.as_str().into(),
                spec.client_password_hash.as_str().into(),
                cid.into(),
                language.as_str().into(),
                created.into(),
            ]);
            clients.push(GenClient { id: cid, client });
        }

        // The journeys, by start date.
        let mut flows = Vec::with_capacity(n_flows);
        for i in 0..n_flows {
            let created = ts_after(start, span_days * (i as f64 / n_flows as f64) + rng.below(3) as f64 * 0.3);
            // A client who already existed then.
            let limit = ((i as f64 / n_flows as f64) * n_clients as f64) as usize;
            let client = rng.below(limit.clamp(1, n_clients));
            let mut inputs = Vec::new();
            for k in 0..(1 + rng.below(4)) {
                let (code, label, unit, price, rate) = *rng.pick(SERVICES);
                if inputs.iter().any(|l: &LineInput| l.code.as_deref() == Some(code)) {
                    continue;
                }
                inputs.push(LineInput {
                    code: Some(code.into()),
                    description: label.into(),
                    quantity: Decimal::from(1 + (k as i64 % 3) * rng.below(3) as i64),
                    unit: unit.into(),
                    unit_price: price.parse().unwrap_or(Decimal::ONE),
                    discount: if rng.chance(0.1) { Decimal::from(10) } else { Decimal::ZERO },
                    vat_rate: Decimal::from(rate),
                });
            }
            let lines: Vec<_> = inputs.iter().enumerate().map(|(k, l)| l.to_line(k as i64 + 1)).collect();
            let t = totals(&lines);
            let (postcode, city) = *rng.pick(CITIES);
            let title =
                format!("{} — {} {}, {postcode} {city}", rng.pick(PROPERTIES), 1 + rng.below(200), rng.pick(STREETS));
            let outcome = match rng.below(100) {
                0..75 => Outcome::Accepted,
                75..87 => Outcome::Declined,
                _ => Outcome::Expired,
            };
            let cap = |t: Timestamp| (t <= now).then_some(t);
            let sent = cap(ts_after(created, 0.2 + rng.below(3) as f64));
            let revised = if rng.chance(0.25) {
                sent.and_then(|s| {
                    let refused = cap(ts_after(s, 2.0 + rng.below(4) as f64))?;
                    let v2 = cap(ts_after(refused, 1.0))?;
                    Some((refused, v2, cap(ts_after(v2, 0.5))))
                })
            } else {
                None
            };
            let last_sent = match revised {
                Some((_, _, v2_sent)) => v2_sent,
                None => sent,
            };
            let answered = last_sent.and_then(|s| match outcome {
                Outcome::Expired => None,
                _ => cap(ts_after(s, 1.0 + rng.below(10) as f64)),
            });
            let accepted = answered.filter(|_| outcome == Outcome::Accepted);
            let validated = accepted.and_then(|a| cap(ts_after(a, 0.5 + rng.below(2) as f64)));
            let delivered = validated.and_then(|v| cap(ts_after(v, 10.0 + rng.below(30) as f64)));
            let mut payments = Vec::new();
            let mut credit = None;
            if let Some(d) = delivered {
                match rng.below(100) {
                    0 => credit = cap(ts_after(d, 3.0)),
                    1..5 => {}
                    5..10 => {
                        if let Some(p) = cap(ts_after(d, 10.0)) {
                            payments.push((p, Decimal::new(30, 2)));
                            if let Some(p2) = cap(ts_after(p, 20.0)) {
                                payments.push((p2, Decimal::new(70, 2)));
                            }
                        }
                    }
                    _ => {
                        if let Some(p) = cap(ts_after(d, 5.0 + rng.below(30) as f64)) {
                            payments.push((p, Decimal::ONE));
                        }
                    }
                }
            }
            flows.push(Flow {
                client,
                request_id: None,
                property_address: None,
                title,
                lines,
                totals: t,
                created,
                sent,
                revised,
                outcome,
                answered,
                validated,
                delivered,
                payments,
                credit,
                ids: FlowIds::default(),
            });
        }

        // Numbers: per series and year, in the order of the dates they were issued on.
        let mut issued: Vec<(Timestamp, u8, usize)> = Vec::new();
        for (i, f) in flows.iter().enumerate() {
            if let Some(s) = f.sent {
                issued.push((s, 0, i));
            }
            if f.outcome == Outcome::Accepted
                && let Some(a) = f.answered
            {
                issued.push((a, 1, i));
            }
            if let Some(d) = f.delivered {
                issued.push((d, 2, i));
            }
            if let Some(c) = f.credit {
                issued.push((c, 3, i));
            }
        }
        issued.sort_by_key(|(t, k, i)| (*t, *k, *i));
        let prefixes = [
            company.quote_prefix.as_str(),
            company.purchase_order_prefix.as_str(),
            company.invoice_prefix.as_str(),
            company.credit_note_prefix.as_str(),
        ];
        let mut counters: HashMap<String, i64> = HashMap::new();
        {
            let mut tx = self.db.read_long().await?;
            for r in tx.all("SELECT series, value FROM counters", vec![]).await? {
                counters.insert(r.text("series")?, r.i64("value")?);
            }
        }
        for (t, kind, i) in issued {
            let year = local_date(t).year();
            let prefix = prefixes[kind as usize];
            let n = counters.entry(number_series(prefix, year)).or_insert(0);
            *n += 1;
            let number = document_number(prefix, year, *n);
            let ids = &mut flows[i].ids;
            match kind {
                0 => ids.quote_number = Some(number),
                1 => ids.po_number = Some(number),
                2 => ids.invoice_number = Some(number),
                _ => ids.credit_number = Some(number),
            }
        }

        let (mut report, tables) =
            journeys::rows(&Ctx { spec, company: &company, clients: &clients, now }, &mut flows, &mut next, &mut rng)?;
        report.clients = clients.len();
        for rows in [rows_clients, rows_users].into_iter().chain(tables) {
            write(self, rows).await?;
        }
        // The series continue after the history; PostgreSQL's identity columns too.
        let mut tx = self.db.write().await?;
        for (series, value) in &counters {
            tx.exec(
                "INSERT INTO counters (series, value) VALUES ($1, $2) ON CONFLICT (series) DO UPDATE SET value = $2",
                crate::db::args![series.as_str(), *value],
            )
            .await?;
        }
        if self.db.is_shared() {
            for t in TABLES {
                tx.exec(
                    &format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"),
                    vec![],
                )
                .await?;
            }
        }
        tx.commit().await?;
        if let Some(pool) = self.db.pg_pool() {
            // Statistics for the planner and the visibility map now, rather than when autovacuum
            // comes round to these tables: without them PostgreSQL planned the dashboard as if
            // they were empty, and read the heap for counts an index answers.
            sqlx::query("VACUUM ANALYZE").execute(pool).await.context("VACUUM ANALYZE")?;
        }
        Ok(report)
    }
}

fn next_id(next: &mut HashMap<&'static str, Id>, table: &'static str) -> Id {
    let v = next[table];
    next.insert(table, v + 1);
    v
}

fn push_document(
    rows: &mut Rows,
    next: &mut HashMap<&'static str, Id>,
    s: &DocumentSnapshot,
    entity: Id,
    client: Id,
) -> Result<()> {
    rows.push(vec![
        next_id(next, "documents").into(),
        s.kind.as_str().into(),
        entity.into(),
        client.into(),
        s.number.as_str().into(),
        serde_json::to_string(s).context("a snapshot")?.into(),
        s.issued_at.into(),
    ]);
    Ok(())
}
