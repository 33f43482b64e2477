//! The ways a person is known to us: email addresses, phone numbers and tax ids.

use crate::{Invalid, wire_enum};

wire_enum!(
    /// Kinds of user identity, as Zendesk names them on the wire.
    IdentityKind, "identity type" {
        Email => "email",
        PhoneNumber => "phone_number",
        TaxId => "tax_id",
        Twitter => "twitter",
        Facebook => "facebook",
        Google => "google",
    }
);

impl IdentityKind {
    /// Parses and normalises a value of this kind, so that two spellings of one identity
    /// compare equal (`Ana@Example.COM` and `ana@example.com`).
    pub fn normalize(self, raw: &str) -> Result<String, Invalid> {
        match self {
            IdentityKind::Email => Ok(EmailAddress::parse(raw)?.into_string()),
            IdentityKind::PhoneNumber => normalize_phone(raw),
            IdentityKind::TaxId => Ok(Cpf::parse(raw)?.digits().to_string()),
            IdentityKind::Twitter | IdentityKind::Facebook | IdentityKind::Google => {
                let v = raw.trim();
                if v.is_empty() || v.len() > 255 {
                    return Err(Invalid::new(
                        "error-handle-length",
                        &[],
                        format!("{} handle must be 1 to 255 characters", self),
                    ));
                }
                Ok(v.trim_start_matches('@').to_lowercase())
            }
        }
    }
}

/// An email address, trimmed, in Unicode's compatibility form (NFKC: full-width letters become
/// their ASCII selves, decomposed accents compose) and lowercased, so one mailbox has one
/// spelling; an address with an invisible character (zero-width spaces and joiners, direction
/// marks, soft hyphens) is refused rather than kept as a look-alike of another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Characters that show nothing: a look-alike address hides them between visible letters.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}')
}

/// The script a letter belongs to, as far as look-alikes go: Latin, Greek, Cyrillic or other.
fn script(c: char) -> Option<u8> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' => Some(0),
        '\u{0370}'..='\u{03FF}' => Some(1),
        '\u{0400}'..='\u{04FF}' => Some(2),
        c if c.is_alphabetic() => Some(3),
        _ => None,
    }
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        use unicode_normalization::UnicodeNormalization;
        if raw.chars().any(invisible) {
            let shown: String = raw.trim().chars().map(|c| if invisible(c) { '?' } else { c }).collect();
            return Err(Invalid::new(
                "error-email-invisible",
                &[("value", &shown)],
                format!("{shown:?} has an invisible character (shown as ?) and cannot be an email address"),
            ));
        }
        let folded: String = raw.nfkc().collect();
        let trimmed = folded.trim();
        if trimmed.len() > 254 {
            return Err(Invalid::new("error-email-too-long", &[], "email address is longer than 254 characters"));
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default().without_display_text(),
        )
        .map_err(|e| {
            Invalid::new(
                "error-email",
                &[("value", &trimmed)],
                format!("{trimmed:?} is not a valid email address ({e})"),
            )
        })?;
        // A helpdesk only ever mails addresses on a real domain.
        if !parsed.domain().contains('.') {
            return Err(Invalid::new(
                "error-email",
                &[("value", &trimmed)],
                format!("{trimmed:?} is not a valid email address (domain has no dot)"),
            ));
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    /// Whether the local part mixes letters of Latin, Greek and Cyrillic (`pаypal` with a
    /// Cyrillic а): legitimate addresses hardly ever do; look-alikes of others do.
    pub fn mixed_script(&self) -> bool {
        let local = self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or("");
        let mut seen = local.chars().filter_map(script).filter(|s| *s < 3);
        match seen.next() {
            Some(first) => seen.any(|s| s != first),
            None => false,
        }
    }
}

fn normalize_phone(raw: &str) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    let mut out = String::new();
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => {
                return Err(Invalid::new(
                    "error-phone",
                    &[("value", &trimmed)],
                    format!("{trimmed:?} is not a valid phone number"),
                ));
            }
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(6..=15).contains(&digits) {
        return Err(Invalid::new(
            "error-phone",
            &[("value", &trimmed)],
            format!("{trimmed:?} is not a valid phone number (6 to 15 digits)"),
        ));
    }
    Ok(out)
}

/// A Brazilian individual taxpayer id (CPF), validated by its two check digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpf(String);

impl Cpf {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let digits: String = trimmed.chars().filter(|c| !matches!(c, '.' | '-' | ' ')).collect();
        if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "error-cpf-digits",
                &[("value", &trimmed)],
                format!("{trimmed:?} is not a valid CPF: it must have 11 digits"),
            ));
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if d.iter().all(|&x| x == d[0]) {
            return Err(Invalid::new("error-cpf", &[("value", &trimmed)], format!("{trimmed:?} is not a valid CPF")));
        }
        let check = |len: usize| -> u32 {
            let sum: u32 = d[..len].iter().zip((2..=len as u32 + 1).rev()).map(|(x, w)| x * w).sum();
            let r = (sum * 10) % 11;
            if r == 10 { 0 } else { r }
        };
        if check(9) != d[9] || check(10) != d[10] {
            return Err(Invalid::new(
                "error-cpf",
                &[("value", &trimmed)],
                format!("{trimmed:?} is not a valid CPF: check digits do not match"),
            ));
        }
        Ok(Self(digits))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpf_check_digits() {
        assert_eq!(Cpf::parse("529.982.247-25").unwrap().digits(), "52998224725");
        assert!(Cpf::parse("529.982.247-24").is_err());
        assert!(Cpf::parse("111.111.111-11").is_err());
        assert!(Cpf::parse("1234").is_err());
    }

    #[test]
    fn look_alike_addresses_are_one_spelling_or_refused() {
        // Full-width letters and a decomposed accent are the same mailbox as their plain forms.
        assert_eq!(EmailAddress::parse("ＡＮＡ@example.com").unwrap().as_str(), "ana@example.com");
        let composed = EmailAddress::parse("jos\u{e9}@exemplo.com.br").unwrap();
        let decomposed = EmailAddress::parse("jose\u{301}@exemplo.com.br").unwrap();
        assert_eq!(composed, decomposed);
        // Invisible characters are refused, not kept as a second account.
        for hidden in
            ["an\u{200B}a@example.com", "ana\u{200D}@example.com", "\u{FEFF}ana@example.com", "a\u{00AD}na@example.com"]
        {
            let e = EmailAddress::parse(hidden).unwrap_err();
            assert_eq!(e.reason.key, "error-email-invisible", "{hidden:?}");
        }
        // A local part mixing Latin and Cyrillic is flagged; one script alone is not.
        assert!(EmailAddress::parse("p\u{0430}ypal@example.com").unwrap().mixed_script());
        assert!(!EmailAddress::parse("paypal@example.com").unwrap().mixed_script());
        assert!(!EmailAddress::parse("\u{0438}\u{0432}\u{0430}\u{043D}@example.ru").unwrap().mixed_script());
    }

    #[test]
    fn emails_are_normalised_and_validated() {
        assert_eq!(EmailAddress::parse(" Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        assert!(EmailAddress::parse("not-an-email").is_err());
        assert!(EmailAddress::parse("a@localhost").is_err());
        assert!(EmailAddress::parse("josé@exemplo.com.br").is_ok());
    }

    #[test]
    fn phones_keep_digits_and_leading_plus() {
        assert_eq!(IdentityKind::PhoneNumber.normalize("+55 (11) 98765-4321").unwrap(), "+5511987654321");
        assert!(IdentityKind::PhoneNumber.normalize("call me").is_err());
    }
}
