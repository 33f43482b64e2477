//! Who is asking: passwords (argon2id), API tokens (random secrets stored as SHA-256), the
//! throttle on failed sign-ins, and the per-user rate limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

use frontdesk_domain::Role;
use frontdesk_store::users::User;

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub role: Role,
}

impl Actor {
    pub fn id(&self) -> i64 {
        self.user.id
    }
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// argon2id at OWASP's minimum: 19 MiB, two passes, one lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub const MIN_PASSWORD_LEN: usize = 8;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A new API token (shown once) and the hash we keep.
pub fn new_token() -> (String, String) {
    let token: String = rand::thread_rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect();
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Credentials as sent in the `Authorization` header (`zendesk-api.md` §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Password { email: String, password: String },
    Token { email: String, token: String },
    Bearer(String),
}

impl Credentials {
    pub fn parse(header: &str) -> Option<Credentials> {
        use base64::Engine;
        let header = header.trim();
        if let Some(b) = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")) {
            return Some(Credentials::Bearer(b.trim().to_string()));
        }
        let encoded = header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic "))?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, secret) = text.split_once(':')?;
        match user.strip_suffix("/token") {
            Some(email) => Some(Credentials::Token { email: email.to_string(), token: secret.to_string() }),
            None => Some(Credentials::Password { email: user.to_string(), password: secret.to_string() }),
        }
    }
}

/// Slows down password guessing without locking out the real owner.
///
/// Failures are counted per source address and per account over a window; the account is
/// keyed by its normalised address, so spaces or capitals around it count against the same
/// account. A source or an account over its limit is refused, except to a source that signed
/// in to that account successfully before (the owner's device or office), so neither an
/// attacker spraying one account from many addresses nor one guessing from behind a shared
/// address keeps the owner out.
pub struct LoginThrottle {
    inner: Mutex<ThrottleState>,
    pub window_secs: i64,
    pub per_source: u32,
    pub per_account: u32,
}

#[derive(Default)]
struct ThrottleState {
    by_source: HashMap<IpAddr, (i64, u32)>,
    by_account: HashMap<String, (i64, u32)>,
    /// Failures of one account from one source: a trusted source keeps this cap of its own.
    by_pair: HashMap<(String, IpAddr), (i64, u32)>,
    trusted: HashMap<(String, IpAddr), i64>,
}

/// How long a successful sign-in makes its source trusted for that account.
const TRUSTED_FOR_SECS: i64 = 30 * 86_400;
/// Past this many entries a map is pruned of what no longer counts.
const PRUNE_AT: usize = 10_000;

impl Default for LoginThrottle {
    fn default() -> Self {
        Self { inner: Mutex::default(), window_secs: 300, per_source: 30, per_account: 10 }
    }
}

/// The throttle's key for an account: the address as sign-in reads it (so look-alike spellings,
/// full-width letters, spaces or capitals, count against one account), else as typed, trimmed
/// and in lower case.
pub fn account_key(account: &str) -> String {
    match frontdesk_domain::EmailAddress::parse(account) {
        Ok(e) => e.into_string(),
        Err(_) => account.trim().to_lowercase(),
    }
}

impl LoginThrottle {
    /// `Some(seconds to wait)` when this attempt must be refused before checking the password.
    pub fn check(&self, account: &str, source: IpAddr, now: i64) -> Option<u64> {
        let st = self.inner.lock().expect("throttle lock");
        let account = account_key(account);
        let over = |entry: Option<&(i64, u32)>, limit: u32| -> Option<u64> {
            let (start, n) = *entry?;
            let left = start + self.window_secs - now;
            (left > 0 && n >= limit).then_some(left as u64)
        };
        let pair = (account, source);
        // A source the owner signed in from is spared the account's and the source's limits,
        // but has the account's limit of its own there: guessing from it stays slow.
        if st.trusted.get(&pair).is_some_and(|t| now - t < TRUSTED_FOR_SECS) {
            return over(st.by_pair.get(&pair), self.per_account);
        }
        over(st.by_source.get(&source), self.per_source).or_else(|| over(st.by_account.get(&pair.0), self.per_account))
    }

    pub fn failed(&self, account: &str, source: IpAddr, now: i64) {
        let mut st = self.inner.lock().expect("throttle lock");
        let window = self.window_secs;
        if st.by_source.len() > PRUNE_AT {
            st.by_source.retain(|_, e| now - e.0 < window);
        }
        if st.by_account.len() > PRUNE_AT {
            st.by_account.retain(|_, e| now - e.0 < window);
        }
        if st.by_pair.len() > PRUNE_AT {
            st.by_pair.retain(|_, e| now - e.0 < window);
        }
        let bump = |e: &mut (i64, u32)| {
            if now - e.0 >= window {
                *e = (now, 0);
            }
            e.1 += 1;
        };
        let account = account_key(account);
        bump(st.by_source.entry(source).or_insert((now, 0)));
        bump(st.by_pair.entry((account.clone(), source)).or_insert((now, 0)));
        bump(st.by_account.entry(account).or_insert((now, 0)));
    }

    pub fn succeeded(&self, account: &str, source: IpAddr, now: i64) {
        let mut st = self.inner.lock().expect("throttle lock");
        if st.trusted.len() > PRUNE_AT {
            st.trusted.retain(|_, t| now - *t < TRUSTED_FOR_SECS);
        }
        st.trusted.insert((account_key(account), source), now);
    }

    /// How many entries the throttle holds (failures by source and account, trusted pairs).
    pub fn len(&self) -> usize {
        let st = self.inner.lock().expect("throttle lock");
        st.by_source.len() + st.by_account.len() + st.by_pair.len() + st.trusted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Requests per user per minute, in fixed one-minute windows.
pub struct RateLimiter {
    pub per_minute: u32,
    windows: Mutex<HashMap<i64, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, windows: Mutex::default() }
    }

    /// `Ok(remaining)` or `Err(seconds until the window resets)`.
    pub fn hit(&self, user_id: i64, now: i64) -> Result<u32, u64> {
        let minute = now.div_euclid(60);
        let mut w = self.windows.lock().expect("rate limit lock");
        if w.len() > 100_000 {
            w.retain(|_, (m, _)| *m == minute);
        }
        let e = w.entry(user_id).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        if e.1 >= self.per_minute {
            return Err((60 - now.rem_euclid(60)).max(1) as u64);
        }
        e.1 += 1;
        Ok(self.per_minute - e.1)
    }
}

/// A map whose entries expire `ttl` after they were put (times in the caller's unit), bounded
/// by pruning expired entries once it grows large.
pub struct TtlCache<V> {
    ttl: i64,
    entries: Mutex<HashMap<String, (V, i64)>>,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: i64) -> Self {
        Self { ttl, entries: Mutex::default() }
    }

    pub fn get(&self, key: &str, now: i64) -> Option<V> {
        let e = self.entries.lock().expect("cache lock");
        e.get(key).filter(|(_, at)| now - at < self.ttl).map(|(v, _)| v.clone())
    }

    pub fn put(&self, key: String, value: V, now: i64) {
        let mut e = self.entries.lock().expect("cache lock");
        if e.len() > 10_000 {
            e.retain(|_, (_, at)| now - *at < self.ttl);
        }
        e.insert(key, (value, now));
    }

    pub fn retain(&self, keep: impl Fn(&V) -> bool) {
        self.entries.lock().expect("cache lock").retain(|_, (v, _)| keep(v));
    }
}

/// Remembers recent successful password checks (by a hash of the credentials, for 300 s) so an
/// API script using email:password does not pay an argon2 hash on every request. Each entry
/// keeps the stored hash it was checked against: a hit counts only while the user's stored hash
/// is still that one, so a password changed through any server ends every server's cached
/// sign-ins at once.
pub struct PasswordCache(TtlCache<(i64, String)>);

impl Default for PasswordCache {
    fn default() -> Self {
        Self(TtlCache::new(300))
    }
}

impl PasswordCache {
    fn key(email: &str, password: &str) -> String {
        let mut h = Sha256::new();
        h.update(account_key(email).as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        hex::encode(h.finalize())
    }

    /// The user these credentials signed in as, and the stored hash they were checked against.
    pub fn get(&self, email: &str, password: &str, now: i64) -> Option<(i64, String)> {
        self.0.get(&Self::key(email, password), now)
    }

    pub fn put(&self, email: &str, password: &str, user_id: i64, stored_hash: String, now: i64) {
        self.0.put(Self::key(email, password), (user_id, stored_hash), now);
    }

    /// Forgets every cached sign-in of a user (after a password change).
    pub fn forget_user(&self, user_id: i64) {
        self.0.retain(|(id, _)| *id != user_id);
    }
}

/// Who an API token belongs to, remembered for 5 s so a busy integration does not pay two
/// queries a request. Changes to users and identities clear it in this server; other servers
/// sharing the database notice within the 5 s.
pub struct AuthCache(TtlCache<Actor>);

impl Default for AuthCache {
    fn default() -> Self {
        Self(TtlCache::new(5_000))
    }
}

impl AuthCache {
    pub fn get(&self, key: &str, now_ms: i64) -> Option<Actor> {
        self.0.get(key, now_ms)
    }

    pub fn put(&self, key: String, actor: Actor, now_ms: i64) {
        self.0.put(key, actor, now_ms);
    }

    pub fn clear(&self) {
        self.0.retain(|_| false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_credential_forms() {
        use base64::Engine;
        let b = |s: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s));
        assert_eq!(
            Credentials::parse(&b("a@x.com/token:abc")),
            Some(Credentials::Token { email: "a@x.com".into(), token: "abc".into() })
        );
        assert_eq!(
            Credentials::parse(&b("a@x.com:p:w")),
            Some(Credentials::Password { email: "a@x.com".into(), password: "p:w".into() })
        );
        assert_eq!(Credentials::parse("Bearer xyz"), Some(Credentials::Bearer("xyz".into())));
        assert_eq!(Credentials::parse("Digest foo"), None);
    }

    #[test]
    fn throttle_spares_the_owner_from_a_known_address() {
        let t = LoginThrottle::default();
        let owner: IpAddr = "10.0.0.1".parse().unwrap();
        let attacker: IpAddr = "10.0.0.2".parse().unwrap();
        t.succeeded("ana@x.com", owner, 0);
        for _ in 0..20 {
            t.failed("ana@x.com", attacker, 1);
        }
        assert!(t.check("ana@x.com", attacker, 2).is_some());
        assert!(t.check("ana@x.com", owner, 2).is_none());
        assert!(t.check("ana@x.com", attacker, 400).is_none(), "the window passes");
    }

    #[test]
    fn throttle_keys_the_account_on_its_normalised_address() {
        let t = LoginThrottle::default();
        let a: IpAddr = "10.0.0.9".parse().unwrap();
        for (i, spelling) in [" ana@x.com", "ANA@x.com ", "ana@X.COM"].iter().cycle().take(10).enumerate() {
            t.failed(spelling, IpAddr::from([10, 1, 0, i as u8]), 1);
        }
        assert!(t.check("ana@x.com", a, 2).is_some(), "ten failures under three spellings are one account's");
        assert!(t.check("  Ana@X.com\t", a, 2).is_some());
    }

    #[test]
    fn a_shared_source_over_its_limit_still_lets_known_owners_in() {
        let t = LoginThrottle::default();
        let proxy: IpAddr = "192.0.2.1".parse().unwrap();
        t.succeeded("bia@x.com", proxy, 0);
        for i in 0..31 {
            t.failed(&format!("guess{i}@x.com"), proxy, 1);
        }
        assert!(t.check("carla@x.com", proxy, 2).is_some(), "a stranger behind the source is refused");
        assert!(t.check("bia@x.com", proxy, 2).is_none(), "an owner who signed in from it is not");
        // Guessing from the owner's own source is still slow: ten failures there close it too.
        for _ in 0..10 {
            t.failed("bia@x.com", proxy, 3);
        }
        assert!(t.check("bia@x.com", proxy, 4).is_some(), "a trusted source keeps a cap of its own");
        // Full-width letters are the same account.
        assert!(t.check("ｂｉａ@x.com", proxy, 4).is_some());
    }

    #[test]
    fn the_throttle_prunes_what_no_longer_counts() {
        let t = LoginThrottle::default();
        for i in 0..(PRUNE_AT as u32 + 10) {
            t.failed(&format!("u{i}@x.com"), IpAddr::from(i.to_be_bytes()), 0);
        }
        let full = t.len();
        t.failed("late@x.com", "10.9.9.9".parse().unwrap(), 10_000);
        assert!(t.len() < full / 100, "{} entries left of {full}", t.len());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong"));
    }
}
