//! The audit trail's hash chain (see `immovr_core::audit`): sealing the committed events in
//! batches behind the chain's locked head, and verifying the whole chain.

use async_trait::async_trait;
use immovr_app::ports::AuditChain;
use immovr_core::Result;
use immovr_core::audit::{BrokenLink, ChainCheck, GENESIS, Sealed, link_hash, personal_digest};

use crate::SqlStore;
use crate::db::{V, args};

/// Events read at a time when verifying.
const PAGE: i64 = 5000;

#[async_trait]
impl AuditChain for SqlStore {
    async fn seal_audit(&self, limit: i64) -> Result<usize> {
        let limit = limit.clamp(1, 1000);
        // Most calls find nothing to seal: a look, without the write lock.
        let mut look = self.db.read().await?;
        let waiting =
            look.opt("SELECT id FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT 1", vec![]).await?.is_some();
        drop(look);
        if !waiting {
            return Ok(0);
        }
        // Relaxed: lost in a crash, the same seals are made again.
        let mut tx = self.db.write_relaxed_together().await?;
        let head =
            tx.one(&format!("SELECT seq, hash FROM audit_chain WHERE id = 1{}", tx.for_update()), vec![]).await?;
        let (mut seq, mut hash) = (head.i64("seq")?, head.text("hash")?);
        let rows = tx
            .all(
                "SELECT id, at, actor, action, entity_kind, entity_id, detail, personal_digest FROM audit_events \
                 WHERE seq IS NULL ORDER BY id LIMIT $1",
                args![limit],
            )
            .await?;
        let mut sealed = Vec::with_capacity(rows.len());
        for r in &rows {
            let (at, actor, action, kind, detail) =
                (r.text("at")?, r.text("actor")?, r.text("action")?, r.text("entity_kind")?, r.text("detail")?);
            let digest = r.opt_text("personal_digest")?;
            let event = Sealed {
                at: &at,
                actor: &actor,
                action: &action,
                entity_kind: &kind,
                entity_id: r.i64("entity_id")?,
                detail: &detail,
                personal_digest: digest.as_deref(),
            };
            seq += 1;
            hash = link_hash(&hash, seq, &event);
            sealed.push((r.i64("id")?, seq, hash.clone()));
        }
        if tx.round_trips() {
            // PostgreSQL: the batch in one statement.
            let values: Vec<String> = (0..sealed.len())
                .map(|i| format!("(${}::BIGINT, ${}::BIGINT, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "UPDATE audit_events SET seq = v.seq, hash = v.hash FROM (VALUES {}) AS v(id, seq, hash) \
                 WHERE audit_events.id = v.id",
                values.join(", ")
            );
            let params: Vec<V> = sealed.iter().flat_map(|(id, s, h)| args![*id, *s, h.as_str()]).collect();
            tx.exec(&sql, params).await?;
        } else {
            for (id, s, h) in &sealed {
                tx.exec("UPDATE audit_events SET seq = $2, hash = $3 WHERE id = $1", args![*id, *s, h.as_str()])
                    .await?;
            }
        }
        tx.exec("UPDATE audit_chain SET seq = $1, hash = $2 WHERE id = 1", args![seq, hash]).await?;
        self.commit(tx).await?;
        Ok(sealed.len())
    }

    async fn verify_audit(&self) -> Result<ChainCheck> {
        let mut tx = self.db.read_long().await?;
        let unsealed = tx.one("SELECT COUNT(*) AS n FROM audit_events WHERE seq IS NULL", vec![]).await?.i64("n")?;
        let head = tx.one("SELECT seq, hash FROM audit_chain WHERE id = 1", vec![]).await?;
        let mut check = ChainCheck { unsealed: unsealed as u64, ..Default::default() };
        let (mut seq, mut hash) = (0_i64, GENESIS.to_string());
        loop {
            let rows = tx
                .all(
                    "SELECT id, seq, hash, at, actor, action, entity_kind, entity_id, detail, personal, \
                     personal_salt, personal_digest FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                    args![seq, PAGE],
                )
                .await?;
            for r in &rows {
                let (id, at_seq) = (r.i64("id")?, r.i64("seq")?);
                let broken = |reason: &str| BrokenLink { seq: seq + 1, event_id: Some(id), reason: reason.into() };
                if at_seq != seq + 1 {
                    let missing = BrokenLink {
                        seq: seq + 1,
                        event_id: None,
                        reason: format!("missing: the chain goes on at #{at_seq}"),
                    };
                    check.broken = Some(missing);
                    return Ok(check);
                }
                let (at, actor, action, kind, detail) =
                    (r.text("at")?, r.text("actor")?, r.text("action")?, r.text("entity_kind")?, r.text("detail")?);
                let digest = r.opt_text("personal_digest")?;
                // A personal part still there must be the one its digest names; an erased one
                // (no part, no salt) leaves the digest alone.
                match (r.opt_text("personal")?, r.opt_text("personal_salt")?, &digest) {
                    (None, None, _) => {}
                    (Some(part), Some(salt), Some(d)) if &personal_digest(&salt, &part) == d => {}
                    _ => {
                        check.broken = Some(broken("its personal part changed after it was sealed"));
                        return Ok(check);
                    }
                }
                let event = Sealed {
                    at: &at,
                    actor: &actor,
                    action: &action,
                    entity_kind: &kind,
                    entity_id: r.i64("entity_id")?,
                    detail: &detail,
                    personal_digest: digest.as_deref(),
                };
                let expected = link_hash(&hash, at_seq, &event);
                if r.opt_text("hash")?.as_deref() != Some(expected.as_str()) {
                    check.broken = Some(broken("its content or its place changed after it was sealed"));
                    return Ok(check);
                }
                seq = at_seq;
                hash = expected;
                check.sealed += 1;
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        // The head names the last event sealed: events cut off the end show here.
        if head.i64("seq")? != seq || head.text("hash")? != hash {
            let reason = format!("missing: the chain's head is #{}, its last event #{seq}", head.i64("seq")?);
            check.broken = Some(BrokenLink { seq: seq + 1, event_id: None, reason });
        }
        Ok(check)
    }
}
