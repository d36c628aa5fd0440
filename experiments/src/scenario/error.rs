//! What a scenario error says: the file, the line of the offending value, the field, and what is
//! wrong or allowed.

use std::fmt;
use std::ops::Range;

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

/// The text being checked and the name it is reported under: turns spans into lines.
pub(super) struct Ctx<'a> {
    /// The file, as errors name it.
    pub(super) file: &'a str,
    /// Its text.
    pub(super) text: &'a str,
}

impl Ctx<'_> {
    /// The 1-based line of the span's start.
    pub(super) fn line_of(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    /// An error at `span` (no line without one) in `field`.
    pub(super) fn err<T>(
        &self,
        span: Option<Range<usize>>,
        field: &str,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            file: self.file.to_owned(),
            line: span.map(|s| self.line_of(s)),
            field: field.to_owned(),
            message: message.into(),
        })
    }

    /// A TOML syntax or schema error, with the field named when the parser names one.
    pub(super) fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let field = e
            .message()
            .split('`')
            .nth(1)
            .filter(|_| e.message().contains("field"))
            .unwrap_or("")
            .to_owned();
        ScenarioError {
            file: self.file.to_owned(),
            line: e.span().map(|s| self.line_of(s)),
            field,
            message: e.message().trim().to_owned(),
        }
    }
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
