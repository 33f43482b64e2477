//! Custom fields on tickets, users and organizations: their types, and the checking of a value
//! sent for one. A value is stored as one or more canonical strings (several only for a
//! multi-select), plus a number for the numeric types, so that storage can compare and order
//! it without knowing the type.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Invalid;
use crate::search::normalize_text;

crate::wire_enum!(
    /// What a custom field holds. `tagger` is Zendesk's name for a drop-down.
    FieldType, "field type" {
        Text => "text",
        Textarea => "textarea",
        Integer => "integer",
        Decimal => "decimal",
        Date => "date",
        Checkbox => "checkbox",
        Tagger => "tagger",
        Multiselect => "multiselect",
        Regexp => "regexp",
    }
);

impl FieldType {
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Tagger | FieldType::Multiselect)
    }
}

/// One choice of a drop-down or multi-select: `name` is shown, `value` is stored (and, on
/// tickets, becomes a tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    pub id: i64,
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub position: i64,
}

/// A field definition as validation and search need it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub id: i64,
    pub key: String,
    pub title: String,
    pub kind: FieldType,
    pub options: Vec<FieldOption>,
    pub regexp: Option<String>,
    pub active: bool,
    /// Ticket fields: a value is needed before the ticket may be solved.
    pub required: bool,
}

/// One stored piece of a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The canonical form: text as given, `2026-12-01`, `42`, `1.5`, `true`, an option value.
    pub value: String,
    /// What equality search compares: the value normalised as free text is.
    pub search_key: String,
    /// Integer, decimal and checkbox (1/0) values, for ordered comparisons.
    pub number: Option<f64>,
}

impl Stored {
    fn new(value: String, number: Option<f64>) -> Stored {
        Stored { search_key: normalize_text(&value), value, number }
    }
}

pub const MAX_TEXT_VALUE: usize = 65_535;
pub const MAX_KEY: usize = 64;

/// Checks a field key: lowercase letters, digits and `_`, starting with a letter.
pub fn check_key(key: &str) -> Result<(), Invalid> {
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "error-field-key",
            &[("max", &MAX_KEY)],
            format!("key {key:?} must start with a lowercase letter and hold only a-z, 0-9 and _ (at most {MAX_KEY})"),
        ))
    }
}

/// Checks a regexp field's pattern.
pub fn check_pattern(p: &str) -> Result<(), Invalid> {
    regex::Regex::new(p)
        .map(|_| ())
        .map_err(|e| Invalid::new("error-bad-pattern", &[], format!("not a valid pattern: {e}")))
}

impl FieldDef {
    /// The option a drop-down value names, by its value or (ignoring case) by its name.
    pub fn option(&self, v: &str) -> Option<&FieldOption> {
        self.options.iter().find(|o| o.value == v).or_else(|| {
            let n = normalize_text(v);
            self.options.iter().find(|o| normalize_text(&o.name) == n || normalize_text(&o.value) == n)
        })
    }

    fn bad(&self, what: String) -> Invalid {
        Invalid::new("error-field-value", &[("field", &self.title)], format!("{} ({}): {what}", self.title, self.key))
    }

    /// Checks a value sent for this field. An empty result clears the field (JSON `null`, an
    /// empty string or an empty list; an unchecked checkbox is stored as `false`).
    #[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
    pub fn check(&self, v: &Value) -> Result<Vec<Stored>, Invalid> {
        if v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) {
            return Ok(if self.kind == FieldType::Checkbox {
                vec![Stored::new("false".into(), Some(0.0))]
            } else {
                vec![]
            });
        }
        let text = || -> Result<String, Invalid> {
            match v {
                Value::String(s) if s.chars().count() <= MAX_TEXT_VALUE => Ok(s.clone()),
                Value::String(_) => Err(self.bad(format!("is longer than {MAX_TEXT_VALUE} characters"))),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                _ => Err(self.bad(format!("expects a text value, not {v}"))),
            }
        };
        let one = |s: Stored| Ok(vec![s]);
        match self.kind {
            FieldType::Text | FieldType::Textarea => {
                let t = text()?;
                if self.kind == FieldType::Text && t.contains('\n') {
                    return Err(self.bad("is a single line; use a multi-line field for line breaks".into()));
                }
                one(Stored::new(t, None))
            }
            FieldType::Regexp => {
                let t = text()?;
                if let Some(pattern) = &self.regexp {
                    let re = regex::Regex::new(&format!("^(?:{pattern})$"))
                        .map_err(|_| self.bad("has an invalid regular expression".into()))?;
                    if !re.is_match(&t) {
                        return Err(self.bad(format!("{t:?} does not match {pattern}")));
                    }
                }
                one(Stored::new(t, None))
            }
            FieldType::Integer => {
                let n = match v {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                }
                .ok_or_else(|| self.bad(format!("{v} is not a whole number")))?;
                one(Stored::new(n.to_string(), Some(n as f64)))
            }
            FieldType::Decimal => {
                let n = match v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                }
                .filter(|n| n.is_finite())
                .ok_or_else(|| self.bad(format!("{v} is not a number")))?;
                one(Stored::new(n.to_string(), Some(n)))
            }
            FieldType::Date => {
                let t = text()?;
                let day = t.trim().get(..10).unwrap_or(t.trim());
                let d: jiff::civil::Date =
                    day.parse().map_err(|_| self.bad(format!("{t:?} is not a date (2026-12-01)")))?;
                one(Stored::new(d.to_string(), None))
            }
            FieldType::Checkbox => {
                let b = match v {
                    Value::Bool(b) => Some(*b),
                    Value::String(s) => match s.trim() {
                        "true" | "1" | "yes" => Some(true),
                        "false" | "0" | "no" => Some(false),
                        _ => None,
                    },
                    Value::Number(n) => n.as_i64().filter(|n| *n == 0 || *n == 1).map(|n| n == 1),
                    _ => None,
                }
                .ok_or_else(|| self.bad(format!("{v} is not true or false")))?;
                one(Stored::new(b.to_string(), Some(f64::from(u8::from(b)))))
            }
            FieldType::Tagger => {
                let t = text()?;
                let o = self.option(&t).ok_or_else(|| self.not_an_option(&t))?;
                one(Stored::new(o.value.clone(), None))
            }
            FieldType::Multiselect => {
                let items: Vec<String> = match v {
                    Value::Array(a) => a
                        .iter()
                        .map(|x| {
                            x.as_str().map(str::to_string).ok_or_else(|| self.bad(format!("{x} is not an option")))
                        })
                        .collect::<Result<_, _>>()?,
                    Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
                    _ => return Err(self.bad(format!("expects a list of options, not {v}"))),
                };
                let mut out: Vec<Stored> = Vec::new();
                for t in items {
                    let o = self.option(&t).ok_or_else(|| self.not_an_option(&t))?;
                    if !out.iter().any(|s| s.value == o.value) {
                        out.push(Stored::new(o.value.clone(), None));
                    }
                }
                Ok(out)
            }
        }
    }

    fn not_an_option(&self, t: &str) -> Invalid {
        let names: Vec<&str> = self.options.iter().map(|o| o.value.as_str()).collect();
        self.bad(format!("{t:?} is not one of its options ({})", names.join(", ")))
    }

    /// The JSON value of what is stored (typed as the field's type), or `null`.
    pub fn to_json(&self, stored: &[String]) -> Value {
        let Some(first) = stored.first() else {
            return if self.kind == FieldType::Multiselect { Value::Array(vec![]) } else { Value::Null };
        };
        match self.kind {
            FieldType::Checkbox => Value::Bool(first == "true"),
            FieldType::Integer => first.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
            FieldType::Decimal => first.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
            FieldType::Multiselect => Value::Array(stored.iter().map(|s| Value::String(s.clone())).collect()),
            _ => Value::String(first.clone()),
        }
    }

    /// The tags a stored value brings to a ticket: the chosen options' values.
    pub fn tags_of(&self, stored: &[String]) -> Vec<String> {
        if self.kind.has_options() { stored.to_vec() } else { Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: FieldType) -> FieldDef {
        FieldDef {
            id: 1,
            key: "plan".into(),
            title: "Plan".into(),
            kind,
            options: vec![
                FieldOption { id: 1, name: "Basic".into(), value: "basic".into(), position: 0 },
                FieldOption { id: 2, name: "Enterprise plus".into(), value: "enterprise_plus".into(), position: 1 },
            ],
            regexp: Some("[A-Z]{2}-\\d+".into()),
            active: true,
            required: false,
        }
    }

    #[test]
    fn values_are_checked_and_canonical() {
        let v = |k, x: Value| def(k).check(&x).map(|s| s.into_iter().map(|s| s.value).collect::<Vec<_>>());
        assert_eq!(v(FieldType::Integer, json!("42")).unwrap(), ["42"]);
        assert!(
            v(FieldType::Integer, json!("4.2")).unwrap_err().message.contains("Plan (plan): \"4.2\" is not a whole")
        );
        assert_eq!(v(FieldType::Decimal, json!(1.5)).unwrap(), ["1.5"]);
        assert_eq!(v(FieldType::Date, json!("2026-12-01T00:00:00Z")).unwrap(), ["2026-12-01"]);
        assert!(v(FieldType::Date, json!("tomorrow")).is_err());
        assert_eq!(v(FieldType::Checkbox, json!(true)).unwrap(), ["true"]);
        assert_eq!(v(FieldType::Checkbox, Value::Null).unwrap(), ["false"]);
        assert_eq!(v(FieldType::Tagger, json!("enterprise plus")).unwrap(), ["enterprise_plus"]);
        let e = v(FieldType::Tagger, json!("gold")).unwrap_err();
        assert!(e.message.contains("\"gold\" is not one of its options (basic, enterprise_plus)"), "{e}");
        assert_eq!(v(FieldType::Multiselect, json!(["basic", "basic", "enterprise_plus"])).unwrap().len(), 2);
        assert_eq!(v(FieldType::Regexp, json!("AB-12")).unwrap(), ["AB-12"]);
        assert!(v(FieldType::Regexp, json!("AB-12x")).is_err());
        assert!(v(FieldType::Text, json!("a\nb")).is_err());
        assert!(v(FieldType::Text, json!({"a": 1})).is_err());
        assert_eq!(v(FieldType::Text, json!("")).unwrap(), Vec::<String>::new());
        assert_eq!(def(FieldType::Integer).to_json(&["42".into()]), json!(42));
        assert!(check_key("renewal_date").is_ok() && check_key("Renewal").is_err() && check_key("9x").is_err());
    }
}
