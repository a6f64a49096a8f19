//! One rule set's answers, shaped so that an edit costs what it changes.
//!
//! Scalar answers are JSON values by input name; a list's records are each
//! shared ([`Record`], an `Rc`), and the list itself is a shared vector of
//! them, so typing in one cell copies that record and the list's pointers,
//! never the other records, and components compare records by pointer. The
//! JSON form (a firm's data, as core and the answer files read it) is
//! written straight from this shape ([`serde::Serialize`]).

use std::collections::BTreeMap;
use std::rc::Rc;

use safegrade::Schema;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value as Json};

/// One list record: field name → answer.
pub type Record = Rc<Map<String, Json>>;

/// One answer: a scalar (or anything that is not a list of records) or a
/// list of records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Any JSON value other than an array of objects.
    Value(Json),
    /// An array of objects: a list's records.
    Records(Rc<Vec<Record>>),
}

/// One rule set's answers: input or list name → [`Entry`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Answers {
    entries: BTreeMap<String, Entry>,
}

impl Answers {
    /// Reads a firm's data (a JSON object); an array whose elements are all
    /// objects becomes a list of records, anything else is kept as it is.
    pub fn from_json(map: Map<String, Json>) -> Answers {
        let mut entries = BTreeMap::new();
        for (k, v) in map {
            let entry = match v {
                Json::Array(rows) if rows.iter().all(Json::is_object) => Entry::Records(Rc::new(
                    rows.into_iter()
                        .map(|r| match r {
                            Json::Object(m) => Rc::new(m),
                            _ => Rc::new(Map::new()),
                        })
                        .collect(),
                )),
                other => Entry::Value(other),
            };
            entries.insert(k, entry);
        }
        Answers { entries }
    }

    /// The answers as one JSON object (for tests and small sets; the worker
    /// and the storage serialise [`Answers`] directly).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// Whether nothing is answered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The answer to a scalar input (or a list's raw value when it is not
    /// a list of records).
    pub fn value(&self, name: &str) -> Option<&Json> {
        match self.entries.get(name) {
            Some(Entry::Value(v)) => Some(v),
            _ => None,
        }
    }

    /// A list's records; empty when it has none.
    pub fn records(&self, list: &str) -> Rc<Vec<Record>> {
        match self.entries.get(list) {
            Some(Entry::Records(r)) => r.clone(),
            _ => Rc::default(),
        }
    }

    /// Answers (or, with `None`, clears) a scalar input.
    pub fn set_value(&mut self, name: String, value: Option<Json>) {
        match value {
            Some(v) => self.entries.insert(name, Entry::Value(v)),
            None => self.entries.remove(&name),
        };
    }

    /// Appends an empty record to a list (replacing a value that was not a
    /// list of records).
    pub fn add_record(&mut self, list: String) {
        match self.entries.get_mut(&list) {
            Some(Entry::Records(rows)) => Rc::make_mut(rows).push(Rc::default()),
            _ => {
                self.entries.insert(list, Entry::Records(Rc::new(vec![Rc::default()])));
            }
        }
    }

    /// Removes a record; a list left empty is removed.
    pub fn remove_record(&mut self, list: &str, idx: usize) {
        if let Some(Entry::Records(rows)) = self.entries.get_mut(list) {
            if idx < rows.len() {
                Rc::make_mut(rows).remove(idx);
            }
            if rows.is_empty() {
                self.entries.remove(list);
            }
        }
    }

    /// Answers (or clears) one field of one record.
    pub fn set_cell(&mut self, list: &str, idx: usize, field: String, value: Option<Json>) {
        if let Some(Entry::Records(rows)) = self.entries.get_mut(list) {
            if let Some(rec) = Rc::make_mut(rows).get_mut(idx) {
                let rec = Rc::make_mut(rec);
                match value {
                    Some(v) => rec.insert(field, v),
                    None => rec.remove(&field),
                };
            }
        }
    }

    /// Each top-level array's name and length (lists, and arrays under
    /// names that are not lists).
    pub fn list_lengths(&self) -> impl Iterator<Item = (&str, usize)> {
        self.entries.iter().filter_map(|(k, e)| match e {
            Entry::Records(r) => Some((k.as_str(), r.len())),
            Entry::Value(Json::Array(a)) => Some((k.as_str(), a.len())),
            Entry::Value(_) => None,
        })
    }

    /// The answers the rule set does not ask: names that are neither inputs
    /// nor lists, and record fields a list does not have (`list[].field`),
    /// each named once, in order.
    pub fn unknown(&self, schema: &Schema) -> Vec<String> {
        let mut out = Vec::new();
        for (name, entry) in &self.entries {
            let list = schema.lists.iter().find(|l| &l.name == name);
            let known = list.is_some() || schema.inputs.iter().any(|f| &f.name == name);
            match (known, list, entry) {
                (false, _, _) => out.push(name.clone()),
                (true, Some(l), Entry::Records(rows)) => {
                    let mut fields: Vec<&String> = Vec::new();
                    for key in rows.iter().flat_map(|r| r.keys()) {
                        if !fields.contains(&key) && !l.fields.iter().any(|f| &f.name == key) {
                            fields.push(key);
                        }
                    }
                    out.extend(fields.into_iter().map(|f| format!("{name}[].{f}")));
                }
                _ => {}
            }
        }
        out
    }

    /// Removes the answers [`Answers::unknown`] names.
    pub fn drop_unknown(&mut self, schema: &Schema) {
        self.entries.retain(|name, _| {
            schema.inputs.iter().any(|f| &f.name == name) || schema.lists.iter().any(|l| &l.name == name)
        });
        for l in &schema.lists {
            if let Some(Entry::Records(rows)) = self.entries.get_mut(&l.name) {
                let extra = |r: &Record| r.keys().any(|k| !l.fields.iter().any(|f| &f.name == k));
                if rows.iter().any(extra) {
                    for r in Rc::make_mut(rows).iter_mut().filter(|r| extra(r)) {
                        Rc::make_mut(r).retain(|k, _| l.fields.iter().any(|f| &f.name == k));
                    }
                }
            }
        }
    }
}

impl Serialize for Answers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, e) in &self.entries {
            match e {
                Entry::Value(v) => map.serialize_entry(k, v)?,
                Entry::Records(rows) => map.serialize_entry(k, &Rows(rows.as_slice()))?,
            }
        }
        map.end()
    }
}

/// A list's records as a JSON array.
struct Rows<'a>(&'a [Record]);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| &**r))
    }
}
