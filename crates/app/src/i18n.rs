//! The UI's strings in English, Brazilian Portuguese and Japanese: Fluent translation files
//! (`locales/*.ftl`, embedded in the binary), with plurals by each language's own rules.

use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use frontdesk_domain::Locale;

/// Whether English has the string `key` (or, for a key ending in `-`, a string of that family).
pub fn english_has(key: &str) -> bool {
    SOURCES[0].1.lines().any(|l| {
        l.split_once(" =").is_some_and(|(k, _)| if key.ends_with('-') { k.starts_with(key) } else { k == key })
    })
}

const SOURCES: [(Locale, &str); 3] = [
    (Locale::EnUs, include_str!("../locales/en-US.ftl")),
    (Locale::PtBr, include_str!("../locales/pt-BR.ftl")),
    (Locale::Ja, include_str!("../locales/ja.ftl")),
];

static BUNDLES: LazyLock<HashMap<&'static str, FluentBundle<FluentResource>>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(locale, source)| {
            let resource = FluentResource::try_new(source.to_string()).expect("the embedded translations parse");
            let lang = locale.as_str().parse().expect("a valid language tag");
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // Plain text: the page escapes it, and marks would show in <title> and attributes.
            bundle.set_use_isolating(false);
            bundle.add_resource(resource).expect("no duplicate messages");
            (locale.as_str(), bundle)
        })
        .collect()
});

/// The string `key` in `locale` with its arguments; English when the locale lacks it, the key
/// itself when no language has it (so a missing string shows, not a blank).
pub fn tr(locale: Locale, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, v.clone());
    }
    for lang in [locale.as_str(), Locale::EnUs.as_str()] {
        let bundle = &BUNDLES[lang];
        if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle.format_pattern(pattern, Some(&fargs), &mut errors).into_owned();
        }
    }
    key.to_string()
}

/// The best of our locales for an `Accept-Language` header, by its q-values.
/// A refusal's reason (a key and its arguments) in `locale`.
pub fn reason(locale: Locale, r: &frontdesk_domain::Reason) -> String {
    tr_text(locale, r.key, r.args.iter().map(|(k, v)| (*k, v.as_str())))
}

/// `key` in `locale` with arguments that are all text.
pub fn tr_text<'a>(locale: Locale, key: &str, args: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let args: Vec<(&str, FluentValue<'_>)> = args.into_iter().map(|(k, v)| (k, FluentValue::from(v))).collect();
    tr(locale, key, &args)
}

pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut choices: Vec<(f32, Locale)> = header
        .split(',')
        .filter_map(|part| {
            let mut it = part.trim().split(';');
            let tag = it.next()?.trim();
            let q = it.find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok()).unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or(tag);
            let locale = Locale::parse(tag).or_else(|_| Locale::parse(primary)).ok()?;
            Some((q, locale))
        })
        .collect();
    choices.sort_by(|a, b| b.0.total_cmp(&a.0));
    choices.first().map(|c| c.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_string_and_its_plurals() {
        let keys: Vec<&str> = SOURCES[0]
            .1
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim()))
            .filter(|k| !k.is_empty() && !k.starts_with(['#', ' ', '[', '*']))
            .collect();
        for (locale, source) in SOURCES {
            for k in &keys {
                assert!(
                    source.contains(&format!("\n{k} =")) || source.starts_with(&format!("{k} =")),
                    "{locale:?} lacks {k}"
                );
            }
        }
        let n = |locale, count: i64| tr(locale, "tickets-count", &[("count", FluentValue::from(count))]);
        assert_eq!(n(Locale::EnUs, 1), "1 ticket");
        assert_eq!(n(Locale::EnUs, 2300), "2300 tickets");
        // CLDR: Portuguese counts 0 and 1 as "one".
        assert_eq!(n(Locale::PtBr, 0), "0 ticket");
        assert_eq!(n(Locale::PtBr, 2), "2 tickets");
        assert_eq!(n(Locale::Ja, 3), "3 件のチケット");
        assert_eq!(tr(Locale::Ja, "no-such-key", &[]), "no-such-key");
    }

    /// Every refusal the code names (`"error-…"`, `"search-…"` in the domain's and the server's
    /// sources) is in the translation files, so no page shows a bare key.
    #[test]
    fn every_refusal_the_code_names_exists() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        sources(&root.join("../domain/src"), &mut files);
        let mut named = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for prefix in ["\"error-", "\"search-"] {
                for part in text.split(prefix).skip(1) {
                    let rest: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                        .collect();
                    if !part[rest.len()..].starts_with('"') || rest.is_empty() || rest.ends_with('-') {
                        continue;
                    }
                    let key = format!("{}{rest}", &prefix[1..]);
                    named += 1;
                    assert!(
                        SOURCES[0].1.lines().any(|l| l.split_once(" =").is_some_and(|(k, _)| k == key)),
                        "{} names {key:?}, which en-US.ftl lacks",
                        file.display()
                    );
                }
            }
        }
        assert!(named > 40, "the scan found the keys ({named})");
    }

    #[test]
    fn accept_language_picks_the_best_we_speak() {
        assert_eq!(from_accept_language("fr-FR, pt-BR;q=0.8, en;q=0.5"), Some(Locale::PtBr));
        assert_eq!(from_accept_language("ja,en-US;q=0.9"), Some(Locale::Ja));
        assert_eq!(from_accept_language("pt-PT"), Some(Locale::PtBr));
        assert_eq!(from_accept_language("de"), None);
    }
}
