//! Live ticket counts for views and searches, kept current in time proportional to the
//! changes since the last look, not to the number of tickets.
//!
//! For each filter in use the server keeps the set of matching ticket ids (a bitset) and the
//! position in commit order (`change_seq`) it reflects. Before answering, it reads the tickets
//! changed since then, and only those, and re-checks them against the filter in SQL. Commit
//! order makes this exact: once a change is visible, every earlier one is too. Each server of a
//! cluster keeps its own sets, made current from the database on every request, so a count is
//! never stale (`fresh: true`). Filters that find people or groups by name can change without
//! a ticket changing; they are always counted in full.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use frontdesk_domain::filter::{Filter, Record};
use frontdesk_store::AnyConnection;
use frontdesk_store::search::{self, Order};
use frontdesk_store::tickets::Ticket;

use crate::error::Result;

/// How many filters' sets are kept (least recently used ones are dropped).
const CAPACITY: usize = 128;
/// Above this many matches, a page of a filter sorted by time is found by walking the time
/// index and keeping members, rather than by sorting every match.
const BROAD: i64 = 2_000;
/// At most this many matches, a page is read by the members' ids.
const SMALL: i64 = 500;

#[derive(Default)]
struct Members {
    bits: Vec<u64>,
    count: i64,
    /// The `change_seq` the set reflects; `None` until first computed.
    seq: Option<i64>,
    used: u64,
}

impl Members {
    fn contains(&self, id: i64) -> bool {
        let (w, b) = ((id / 64) as usize, id % 64);
        id >= 0 && self.bits.get(w).is_some_and(|x| x & (1 << b) != 0)
    }

    fn ids(&self) -> Vec<i64> {
        let mut out = Vec::with_capacity(self.count.max(0) as usize);
        for (w, word) in self.bits.iter().enumerate() {
            let mut x = *word;
            while x != 0 {
                let b = x.trailing_zeros() as i64;
                out.push(w as i64 * 64 + b);
                x &= x - 1;
            }
        }
        out
    }

    fn set(&mut self, id: i64, on: bool) {
        if id < 0 {
            return;
        }
        let (w, b) = ((id / 64) as usize, id % 64);
        if w >= self.bits.len() {
            if !on {
                return;
            }
            self.bits.resize(w + 1, 0);
        }
        let was = self.bits[w] & (1 << b) != 0;
        if was != on {
            self.bits[w] ^= 1 << b;
            self.count += if on { 1 } else { -1 };
        }
    }

    /// Brings the set up to date: in full the first time, then from the changes since.
    async fn refresh(&mut self, conn: &mut AnyConnection, f: &Filter) -> Result<()> {
        match self.seq {
            None => {
                // Read the position first: changes after it are re-checked next time, so a
                // change landing while the ids are read is never lost.
                let seq = search::last_change(conn).await?;
                for id in search::ticket_ids(conn, f).await? {
                    self.set(id, true);
                }
                self.seq = Some(seq);
            }
            Some(after) => {
                // Which tickets changed comes from the change_seq index alone; only those
                // are checked against the filter, and nothing runs when none did.
                let changed = search::changed_ids(conn, after).await?;
                if changed.is_empty() {
                    return Ok(());
                }
                let ids: Vec<i64> = changed.iter().map(|(id, _)| *id).collect();
                let hits: std::collections::HashSet<i64> =
                    search::matching_among(conn, f, &ids).await?.into_iter().collect();
                for id in &ids {
                    self.set(*id, hits.contains(id));
                }
                self.seq = Some(changed.iter().map(|(_, s)| *s).max().unwrap_or(after).max(after));
            }
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct Counts {
    sets: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Members>>>>,
    clock: AtomicU64,
}

impl Counts {
    fn entry(&self, key: String) -> Arc<tokio::sync::Mutex<Members>> {
        let mut sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        if !sets.contains_key(&key) && sets.len() >= CAPACITY {
            // Drop the least recently used set that nobody is using now.
            let victim =
                sets.iter().filter_map(|(k, m)| m.try_lock().ok().map(|m| (m.used, k.clone()))).min().map(|(_, k)| k);
            if let Some(k) = victim {
                sets.remove(&k);
            }
        }
        sets.entry(key).or_default().clone()
    }

    /// The current set for a ticket filter, or `None` for filters counted in full.
    async fn members(
        &self,
        conn: &mut AnyConnection,
        f: &Filter,
    ) -> Result<Option<tokio::sync::OwnedMutexGuard<Members>>> {
        if !search::follows_ticket_changes(f) {
            return Ok(None);
        }
        let mut m = self.entry(search::cache_key(f)).lock_owned().await;
        m.used = self.clock.fetch_add(1, Ordering::Relaxed);
        m.refresh(conn, f).await?;
        Ok(Some(m))
    }

    /// How many live tickets match.
    pub async fn count(&self, conn: &mut AnyConnection, f: &Filter) -> Result<i64> {
        match self.members(conn, f).await? {
            Some(m) => Ok(m.count),
            None => Ok(search::count(conn, Record::Ticket, f).await?),
        }
    }

    /// One offset page of matching tickets, with the total. Broad filters sorted by time or
    /// id walk the index in that order and keep members; the rest sort their matches in SQL.
    pub async fn page(
        &self,
        conn: &mut AnyConnection,
        f: &Filter,
        order: Order,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Ticket>, i64)> {
        let Some(m) = self.members(conn, f).await? else {
            let total = search::count(conn, Record::Ticket, f).await?;
            let few = total < BROAD;
            let items = search::offset_page(conn, Record::Ticket, f, order, offset, limit, few).await?;
            return Ok((items, total));
        };
        let total = m.count;
        if total <= SMALL {
            // The members are known and few: read them by id, not by the filter again.
            let ids = m.ids();
            drop(m);
            return Ok((search::page_among(conn, &ids, order, offset, limit).await?, total));
        }
        if total < BROAD || !order.walkable() || offset >= total {
            drop(m);
            let few = total < BROAD;
            let items = search::offset_page(conn, Record::Ticket, f, order, offset, limit, few).await?;
            return Ok((items, total));
        }
        let mut skip = offset;
        let mut ids = Vec::with_capacity(limit as usize);
        search::scan_ticket_ids(conn, order, |id| {
            if m.contains(id) {
                if skip > 0 {
                    skip -= 1;
                } else {
                    ids.push(id);
                }
            }
            (ids.len() as i64) < limit
        })
        .await?;
        drop(m);
        Ok((search::tickets_by_ids(conn, &ids).await?, total))
    }
}
