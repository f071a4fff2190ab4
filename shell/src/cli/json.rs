//! A tiny JSON writer: the CLI prints a handful of flat objects, which does
//! not justify a serialization framework in a static binary.

use std::fmt::Write;

/// Builds one JSON object, field by field.
#[derive(Debug, Default)]
pub struct Object {
    out: String,
}

impl Object {
    pub fn new() -> Self {
        Self::default()
    }

    fn key(&mut self, key: &str) {
        self.out.push(if self.out.is_empty() { '{' } else { ',' });
        string_into(&mut self.out, key);
        self.out.push(':');
    }

    pub fn str(mut self, key: &str, value: Option<&str>) -> Self {
        self.key(key);
        match value {
            Some(v) => string_into(&mut self.out, v),
            None => self.out.push_str("null"),
        }
        self
    }

    pub fn num(mut self, key: &str, value: Option<impl std::fmt::Display>) -> Self {
        self.key(key);
        match value {
            Some(v) => {
                let _ = write!(self.out, "{v}");
            }
            None => self.out.push_str("null"),
        }
        self
    }

    pub fn bool(self, key: &str, value: Option<bool>) -> Self {
        self.num(key, value)
    }

    /// A value that is already JSON (an array or object).
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.out.push_str(json);
        self
    }

    pub fn finish(mut self) -> String {
        if self.out.is_empty() {
            self.out.push('{');
        }
        self.out.push('}');
        self.out
    }
}

/// `[a,b,…]` of already-JSON items.
pub fn array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

fn string_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_escape_and_nest() {
        let o = Object::new()
            .num("a", Some(12))
            .bool("b", Some(false))
            .str("c", Some("x\"y\n\u{1}"))
            .str("d", None)
            .raw("e", &array(["1".to_string(), "{}".to_string()]))
            .finish();
        assert_eq!(
            o,
            r#"{"a":12,"b":false,"c":"x\"y\n\u0001","d":null,"e":[1,{}]}"#
        );
        assert_eq!(Object::new().finish(), "{}");
    }
}
