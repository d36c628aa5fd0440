//! What a scenario error says: the file, the line of the offending value, the field, and what is
//! wrong or allowed.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A scenario error: where, which field, and what is wrong or allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (as the user named it, or `<built-in NAME>`).
    pub file: String,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// The field, as a dotted path where known.
    pub field: String,
    /// What is wrong, and what is allowed.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: ", self.file)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    /// An error about the file as a whole (it cannot be found or read), with no line or field.
    pub(super) fn file(file: &str, message: String) -> ScenarioError {
        ScenarioError {
            file: file.to_owned(),
            line: None,
            field: String::new(),
            message,
        }
    }
}

/// The text being checked and the name it is reported under: turns spans, and dotted field
/// paths, into lines.
pub(super) struct Ctx<'a> {
    /// The file, as errors name it.
    pub(super) file: &'a str,
    /// Its text.
    pub(super) text: &'a str,
    /// The text as a table of spanned values (`None` if it does not parse: then the parse
    /// error is the one reported).
    doc: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Ctx<'a> {
    /// The context for `text`, reported as `file`.
    pub(super) fn new(file: &'a str, text: &'a str) -> Ctx<'a> {
        Ctx {
            file,
            text,
            doc: DeTable::parse(text).ok(),
        }
    }

    /// Where a field is written: the span of the value at a dotted path such as
    /// `workload.sources.swaps.rate` or `faults[2].shard`, where a segment under an array of
    /// tables is an element's `name` (or `[i]`, its index). A field the file leaves out (its
    /// default applies) is located at the deepest table on the path that the file has.
    pub(super) fn locate(&self, field: &str) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut span = None;
        let mut table = doc.get_ref();
        let mut segments = path_segments(field).into_iter().peekable();
        while let Some(segment) = segments.next() {
            let Segment::Key(key) = segment else {
                return span;
            };
            let Some(value) = table.get(key) else {
                return span;
            };
            span = Some(value.span());
            let mut value = value.get_ref();
            if let DeValue::Array(items) = value {
                let Some(pick) = segments.peek() else {
                    return span;
                };
                let element = match pick {
                    Segment::Index(i) => items.get(*i),
                    Segment::Key(name) => items.iter().find(|e| match e.get_ref() {
                        DeValue::Table(t) => t.get("name").is_some_and(
                            |n| matches!(n.get_ref(), DeValue::String(s) if s == name),
                        ),
                        _ => false,
                    }),
                };
                let Some(element) = element else {
                    return span;
                };
                segments.next();
                span = Some(element.span());
                value = element.get_ref();
            }
            match value {
                DeValue::Table(t) => table = t,
                _ => return span,
            }
        }
        span
    }

    /// The 1-based line of the span's start.
    pub(super) fn line_of(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    /// An error at `span` in `field` (without a span: where the file writes `field`, see
    /// [`Ctx::locate`]).
    pub(super) fn err<T>(
        &self,
        span: Option<Range<usize>>,
        field: &str,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        let span = span.or_else(|| self.locate(field));
        Err(ScenarioError {
            file: self.file.to_owned(),
            line: span.map(|s| self.line_of(s)),
            field: field.to_owned(),
            message: message.into(),
        })
    }

    /// A TOML syntax or schema error, with the field path and what is allowed: the parser's
    /// words where they are already plain, rewritten where they name Rust types.
    pub(super) fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let line = e.span().map(|s| self.line_of(s));
        let raw = e.message().trim();
        let named = raw
            .split('`')
            .nth(1)
            .filter(|_| raw.contains("field `"))
            .unwrap_or("");
        let table = line.map(|l| self.table_at_line(l)).unwrap_or_default();
        let key = line.and_then(|l| self.key_at_line(l));
        // A field the parser names (unknown, missing) is in the table; otherwise the key written
        // on the line at fault.
        let field = match (named, key) {
            ("", Some(key)) => join_path(&table, &key),
            ("", None) => table,
            // An unknown top-level table is reported on its own header line.
            (name, _) if table == name => table,
            (name, _) => join_path(&table, name),
        };
        let message = plain_toml_message(raw, field.rsplit('.').next().unwrap_or(""));
        ScenarioError {
            file: self.file.to_owned(),
            line,
            field,
            message,
        }
    }

    /// The table a line belongs to, as a dotted path: the last `[header]` above it (an array of
    /// tables adds the element's `name`), or `""` at the top.
    fn table_at_line(&self, line: usize) -> String {
        let lines: Vec<&str> = self.text.lines().collect();
        let upto = line.min(lines.len());
        let Some(h) = (0..upto)
            .rev()
            .find(|&i| lines[i].trim_start().starts_with('['))
        else {
            return String::new();
        };
        let header = lines[h].trim();
        let array = header.starts_with("[[");
        let path = header
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        if !array {
            return path;
        }
        // The element's name, wherever the table writes it.
        let name = lines[h + 1..]
            .iter()
            .take_while(|l| !l.trim_start().starts_with('['))
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == "name").then(|| v.trim().trim_matches('"').to_owned())
            });
        match name {
            Some(n) if !n.is_empty() => format!("{path}.{n}"),
            // An unnamed element (a fault) by its index among the tables of its array.
            _ => {
                let index = lines[..h].iter().filter(|l| l.trim() == header).count();
                format!("{path}[{index}]")
            }
        }
    }

    /// The key written at the start of a line (`key = …`), if any.
    fn key_at_line(&self, line: usize) -> Option<String> {
        let text = self.text.lines().nth(line.checked_sub(1)?)?;
        let (key, _) = text.split_once('=')?;
        let key = key.trim().trim_matches('"');
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        plain.then(|| key.to_owned())
    }
}

fn join_path(table: &str, key: &str) -> String {
    match (table.is_empty(), key.is_empty()) {
        (true, _) => key.to_owned(),
        (_, true) => table.to_owned(),
        _ => format!("{table}.{key}"),
    }
}

/// The parser's message in the file's terms: what was found and what is allowed, without Rust
/// type names.
fn plain_toml_message(raw: &str, key: &str) -> String {
    let expected = |rust: &str| -> Option<&'static str> {
        Some(match rust {
            "u8" => "a whole number from 0 to 255",
            "u16" => "a whole number from 0 to 65535",
            "u32" => "a whole number from 0 to 4294967295",
            "u64" => "a whole number from 0 to 18446744073709551615",
            "f64" | "f32" => "a number",
            "a boolean" | "bool" => "true or false",
            "a string" | "a borrowed string" => "a string in quotes",
            "a sequence" => "an array [ … ]",
            _ if rust.starts_with("struct ") || rust.starts_with("a map") => {
                "a table (`[name]` or `{ key = value, … }`)"
            }
            _ => return None,
        })
    };
    if raw == "duplicate key" || raw.starts_with("duplicate key") {
        return format!(
            "`{key}` is set twice in the same table; write each key (and each [table]) once"
        );
    }
    if raw.starts_with("invalid boolean") {
        return "not a value: a string needs quotes (\"…\"), a boolean is true or false".to_owned();
    }
    if raw.contains("max recursion depth") {
        return "arrays or tables are nested too deeply for the parser; a scenario nests at most two levels (the `rtt_ms` matrix)".to_owned();
    }
    if raw.contains("untagged enum DailyDef") {
        return "wanted the name of a profile (a string such as \"trading_day\", or one declared under [workload.profiles]) or an array of 24 hourly multipliers".to_owned();
    }
    for head in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = raw.strip_prefix(head)
            && let Some((found, rust)) = rest.split_once(", expected ")
        {
            let wanted = expected(rust.trim()).unwrap_or(rust.trim());
            return format!("expected {wanted}, found {found}");
        }
    }
    raw.to_owned()
}

/// One step of a dotted field path.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'p> {
    Key(&'p str),
    Index(usize),
}

/// `a.b[2].c` → `a`, `b`, `[2]`, `c`.
fn path_segments(field: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in field.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

/// "allowed: `a`, `b`" (or "none are declared"): the tail of every unknown-name message.
pub(super) fn allowed(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect();
    if v.is_empty() {
        "none are declared".into()
    } else {
        format!("allowed: {}", v.join(", "))
    }
}
