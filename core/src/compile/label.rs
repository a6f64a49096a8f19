//! Labels as the rule file writes them: a plain text (Chinese) or
//! `{ zh, en }`, made into the plan's [`Label`].

use std::sync::Arc;

use crate::plan::Label;
use crate::syntax::document::Text;

/// The label of a text as written in a rule file.
pub(crate) fn label_of(t: &Text) -> Label {
    match t {
        Text::Plain(s) => Label { zh: Arc::from(s.as_str()), en: None },
        Text::Translated { zh, en } => Label { zh: Arc::from(zh.as_str()), en: en.as_deref().map(Arc::from) },
    }
}
