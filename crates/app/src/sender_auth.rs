//! Who really sent a message: SPF, DKIM and DMARC, checked with mail-auth against DNS (the
//! system's resolver, or the one the operator names with `--dns-resolver`) before a message is
//! taken in. The verdict is recorded on the message; `app::email` acts on it: mail that claims
//! to come from staff or from one of our own domains is taken as that person only when it is
//! aligned (DMARC's sense: a passing DKIM signature or SPF check of the From domain).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mail_auth::hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{AuthenticatedMessage, DkimResult, DmarcResult, MessageAuthenticator, SpfResult};
use serde::{Deserialize, Serialize};

/// What the connection that brought a message said: the client's address, its HELO name and
/// the envelope sender (empty for a bounce). Known for the SMTP receiver and the mail gateway
/// (when the MTA passes it on); not for IMAP, where only DKIM can speak.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub ip: IpAddr,
    pub helo: String,
    pub mail_from: String,
}

/// The checks' results, as recorded on the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `pass`, `fail`, `softfail`, `neutral`, `temperror`, `permerror` or `none`.
    pub spf: String,
    /// `pass` (some signature verified), `fail` (signed, none verified) or `none`.
    pub dkim: String,
    /// `pass`, `fail` or `none` (the From domain publishes no policy).
    pub dmarc: String,
    /// The From domain's DMARC policy: `none`, `quarantine`, `reject` or empty.
    pub policy: String,
    /// A passing DKIM signature or SPF check of the From address's domain.
    pub aligned: bool,
}

impl Verdict {
    /// What a message that could not be checked at all gets: nothing passed, nothing aligned.
    pub fn unchecked() -> Verdict {
        Verdict { spf: "none".into(), dkim: "none".into(), dmarc: "none".into(), policy: String::new(), aligned: false }
    }

    /// The words an agent reads: what failed.
    pub fn summary(&self) -> String {
        format!("SPF {}, DKIM {}, DMARC {}", self.spf, self.dkim, self.dmarc)
    }

    /// Whether the From domain asks receivers to reject mail that fails DMARC, and this did.
    pub fn rejected_by_policy(&self) -> bool {
        self.dmarc == "fail" && self.policy == "reject"
    }
}

/// The checker, holding its DNS resolver.
pub struct Checker(MessageAuthenticator);

/// One DNS question gets this long, once: a slow resolver must not hold mail for long.
const DNS_TIMEOUT: Duration = Duration::from_secs(2);

impl Checker {
    /// A checker asking `resolver` (an address and port), or the system's resolvers.
    pub fn new(resolver: Option<SocketAddr>) -> anyhow::Result<Checker> {
        let mut opts = ResolverOpts::default();
        opts.timeout = DNS_TIMEOUT;
        opts.attempts = 1;
        let config = match resolver {
            Some(addr) => ResolverConfig::from_parts(
                None,
                Vec::new(),
                NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true),
            ),
            None => match mail_auth::hickory_resolver::system_conf::read_system_conf() {
                Ok((config, _)) => config,
                Err(e) => {
                    tracing::warn!(error = %e, "no system DNS configuration: sender checks will find nothing");
                    ResolverConfig::from_parts(None, Vec::new(), NameServerConfigGroup::with_capacity(0))
                }
            },
        };
        Ok(Checker(MessageAuthenticator::new(config, opts)?))
    }

    /// Checks a raw message for `sender`, the From address the pipeline acts on (alignment is
    /// judged against its domain, whatever else the headers hold). Never fails: what cannot be
    /// checked reads `none` or `temperror`, and so is not aligned.
    pub async fn check(&self, raw: &[u8], envelope: Option<&Envelope>, sender: &str) -> Verdict {
        let Some(message) = AuthenticatedMessage::parse(raw) else { return Verdict::unchecked() };
        let from_domain = sender.rsplit_once('@').map(|(_, d)| d.trim().to_lowercase()).filter(|d| !d.is_empty());
        let dkim = self.0.verify_dkim(&message).await;
        let dkim_word = if dkim.is_empty() {
            "none"
        } else if dkim.iter().any(|o| matches!(o.result(), DkimResult::Pass)) {
            "pass"
        } else {
            "fail"
        };
        let dkim_aligned = dkim.iter().any(|o| {
            matches!(o.result(), DkimResult::Pass)
                && o.signature().zip(from_domain.as_deref()).is_some_and(|(s, from)| aligned(&s.d, from))
        });
        let (spf, mail_from_domain) = match envelope {
            Some(e) => {
                let helo = if e.helo.is_empty() { "unknown" } else { e.helo.as_str() };
                let sender = if e.mail_from.is_empty() { format!("postmaster@{helo}") } else { e.mail_from.clone() };
                let domain = sender.rsplit_once('@').map(|(_, d)| d.to_lowercase()).unwrap_or_default();
                let out = self.0.verify_spf(SpfParameters::verify_mail_from(e.ip, helo, helo, &sender)).await;
                (Some(out), domain)
            }
            None => (None, String::new()),
        };
        let spf_pass = spf.as_ref().is_some_and(|o| o.result() == SpfResult::Pass);
        let spf_aligned = spf_pass && from_domain.as_deref().is_some_and(|from| aligned(&mail_from_domain, from));
        let spf_word = spf.as_ref().map_or("none", |o| spf_word(o.result()));
        // Without a connection there is no SPF result: DMARC then rests on DKIM alone.
        let no_spf = mail_auth::SpfOutput::new(String::new());
        let spf_out = spf.as_ref().unwrap_or(&no_spf);
        let params = mail_auth::dmarc::verify::DmarcParameters::new(&message, &dkim, &mail_from_domain, spf_out);
        let (dmarc, policy) = self.dmarc(params).await;
        Verdict { spf: spf_word.into(), dkim: dkim_word.into(), dmarc, policy, aligned: dkim_aligned || spf_aligned }
    }

    async fn dmarc(&self, params: mail_auth::dmarc::verify::DmarcParameters<'_, fn(&str) -> &str>) -> (String, String) {
        let out = self.0.verify_dmarc(params).await;
        if out.dmarc_record().is_none() {
            return ("none".into(), String::new());
        }
        let pass = matches!(out.dkim_result(), DmarcResult::Pass) || matches!(out.spf_result(), DmarcResult::Pass);
        let policy = match out.policy() {
            mail_auth::dmarc::Policy::None => "none",
            mail_auth::dmarc::Policy::Quarantine => "quarantine",
            mail_auth::dmarc::Policy::Reject => "reject",
            mail_auth::dmarc::Policy::Unspecified => "",
        };
        (if pass { "pass" } else { "fail" }.into(), policy.into())
    }
}

fn spf_word(r: SpfResult) -> &'static str {
    match r {
        SpfResult::Pass => "pass",
        SpfResult::Fail => "fail",
        SpfResult::SoftFail => "softfail",
        SpfResult::Neutral => "neutral",
        SpfResult::TempError => "temperror",
        SpfResult::PermError => "permerror",
        SpfResult::None => "none",
    }
}

/// Relaxed alignment: one domain is the other or a subdomain of it (DMARC compares
/// organizational domains; a subdomain relation is the part of that we can tell without the
/// public suffix list, and never aligns two strangers).
fn aligned(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('.').to_lowercase(), b.trim_end_matches('.').to_lowercase());
    !a.is_empty() && (a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn alignment_is_relaxed_but_never_aligns_strangers() {
        use super::aligned;
        assert!(aligned("acme.test", "acme.test"));
        assert!(aligned("mail.acme.test", "acme.test"));
        assert!(aligned("acme.test", "eu.acme.test"));
        assert!(!aligned("evilacme.test", "acme.test"));
        assert!(!aligned("", "acme.test"));
        assert!(!aligned("acme.test.evil", "acme.test"));
    }
}
