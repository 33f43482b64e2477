//! Locales the UI speaks and IANA time zones.

use crate::Invalid;

/// The locales Frontdesk speaks, with Zendesk's numeric `locale_id`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    EnUs,
    PtBr,
    Ja,
}

impl Locale {
    pub const ALL: &'static [Locale] = &[Locale::EnUs, Locale::PtBr, Locale::Ja];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::PtBr => "pt-BR",
            Locale::Ja => "ja",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Locale::EnUs => 1,
            Locale::PtBr => 19,
            Locale::Ja => 67,
        }
    }

    pub fn from_id(id: i64) -> Result<Self, Invalid> {
        Self::ALL.iter().copied().find(|l| l.id() == id).ok_or_else(|| {
            Invalid::new(
                "error-locale",
                &[("value", &id)],
                format!("locale_id {id} is not supported; expected 1 (en-US), 19 (pt-BR) or 67 (ja)"),
            )
        })
    }

    /// Accepts the usual spellings: `en`, `en-us`, `pt-BR`, `pt_br`, `ja-JP`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let l = raw.trim().to_ascii_lowercase().replace('_', "-");
        match l.as_str() {
            "en" | "en-us" | "en-gb" => Ok(Locale::EnUs),
            "pt" | "pt-br" => Ok(Locale::PtBr),
            "ja" | "ja-jp" => Ok(Locale::Ja),
            _ => Err(Invalid::new(
                "error-locale",
                &[("value", &raw)],
                format!("locale {raw:?} is not supported; expected en-US, pt-BR or ja"),
            )),
        }
    }
}

/// An IANA time zone name that the bundled tz database knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone(String);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        match jiff::tz::TimeZone::get(name) {
            Ok(_) if !name.is_empty() => Ok(Self(name.to_string())),
            _ => Err(Invalid::new(
                "error-time-zone",
                &[("value", &name)],
                format!("{name:?} is not an IANA time zone (for example America/Sao_Paulo)"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_and_zones() {
        assert_eq!(Locale::parse("pt_br").unwrap(), Locale::PtBr);
        assert_eq!(Locale::from_id(67).unwrap(), Locale::Ja);
        assert!(Locale::parse("de").is_err());
        assert!(TimeZone::parse("Asia/Tokyo").is_ok());
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}
