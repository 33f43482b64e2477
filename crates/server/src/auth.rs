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
/// Failures are counted per source address and per account over a window. A source over its
/// limit is refused outright. An account over its limit is refused only to sources that have
/// not signed in to it successfully before, so an attacker spraying one account from many
/// addresses cannot keep its owner out.
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
    trusted: HashMap<(String, IpAddr), i64>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self { inner: Mutex::default(), window_secs: 300, per_source: 30, per_account: 10 }
    }
}

impl LoginThrottle {
    /// `Some(seconds to wait)` when this attempt must be refused before checking the password.
    pub fn check(&self, account: &str, source: IpAddr, now: i64) -> Option<u64> {
        let st = self.inner.lock().expect("throttle lock");
        let account = account.to_lowercase();
        let over = |entry: Option<&(i64, u32)>, limit: u32| -> Option<u64> {
            let (start, n) = *entry?;
            let left = start + self.window_secs - now;
            (left > 0 && n >= limit).then_some(left as u64)
        };
        if let Some(wait) = over(st.by_source.get(&source), self.per_source) {
            return Some(wait);
        }
        let trusted = st.trusted.get(&(account.clone(), source)).is_some_and(|t| now - t < 30 * 86_400);
        if !trusted {
            return over(st.by_account.get(&account), self.per_account);
        }
        None
    }

    pub fn failed(&self, account: &str, source: IpAddr, now: i64) {
        let mut st = self.inner.lock().expect("throttle lock");
        let window = self.window_secs;
        let bump = |e: &mut (i64, u32)| {
            if now - e.0 >= window {
                *e = (now, 0);
            }
            e.1 += 1;
        };
        bump(st.by_source.entry(source).or_insert((now, 0)));
        bump(st.by_account.entry(account.to_lowercase()).or_insert((now, 0)));
    }

    pub fn succeeded(&self, account: &str, source: IpAddr, now: i64) {
        let mut st = self.inner.lock().expect("throttle lock");
        st.trusted.insert((account.to_lowercase(), source), now);
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
/// API script using email:password does not pay an argon2 hash on every request.
pub struct PasswordCache(TtlCache<i64>);

impl Default for PasswordCache {
    fn default() -> Self {
        Self(TtlCache::new(300))
    }
}

impl PasswordCache {
    fn key(email: &str, password: &str) -> String {
        let mut h = Sha256::new();
        h.update(email.to_lowercase().as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        hex::encode(h.finalize())
    }

    pub fn get(&self, email: &str, password: &str, now: i64) -> Option<i64> {
        self.0.get(&Self::key(email, password), now)
    }

    pub fn put(&self, email: &str, password: &str, user_id: i64, now: i64) {
        self.0.put(Self::key(email, password), user_id, now);
    }

    /// Forgets every cached sign-in of a user (after a password change).
    pub fn forget_user(&self, user_id: i64) {
        self.0.retain(|id| *id != user_id);
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
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong"));
    }
}
