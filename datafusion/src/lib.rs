//! safegrade as a DataFusion scalar function: `safegrade_score(firm)` scores
//! one firm per row, its argument a struct of the firm's columns with each
//! list the rules read as a `List<Struct>` field named as the list (what
//! `array_agg(named_struct(…))` grouped by the key gives), and returns a
//! struct of the results' columns as a batch run writes them (each step's
//! score as exact decimal text, its grade, the declared result columns),
//! then `reject_reason` and `reject_message`, null for a firm that was
//! scored.
//!
//! A function is built for one rule set or scheme and one as-of date
//! ([`ScoreFunction::new`]); two functions are equal, and hash alike, when
//! their name, rules' hash, date and options are. The rows go through the
//! Arrow crate's [`FirmScorer`], so nothing is scored a second way; a
//! struct whose fields do not fit the rules is refused when the query is
//! planned, naming the field. Each row is scored by itself: a key repeated
//! on another row is not rejected (the query finds repeated keys).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Fields, Schema};
use datafusion_common::{exec_err, plan_err, Result};
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use safegrade::Rules;
use safegrade_arrow::{FirmScorer, Options};

/// The function's name unless another is given.
pub const NAME: &str = "safegrade_score";

/// The scalar function; see the crate documentation.
pub struct ScoreFunction {
    name: String,
    rules: Arc<Rules>,
    hash: String,
    opts: Options,
    signature: Signature,
    /// The scorer of the last argument type seen: a query's batches share one.
    scorer: Mutex<Option<(Fields, Arc<FirmScorer>)>>,
}

impl ScoreFunction {
    /// The function `safegrade_score` scoring through `rules` as `opts`
    /// says (as-of date, key, explain, carried columns, floats).
    pub fn new(rules: Rules, opts: Options) -> ScoreFunction {
        let hash = match &rules {
            Rules::Set(r) => r.meta().hash.clone(),
            Rules::Scheme(s) => s.meta().hash.clone(),
        };
        ScoreFunction {
            name: NAME.into(),
            rules: Arc::new(rules),
            hash,
            opts,
            signature: Signature::any(1, Volatility::Immutable),
            scorer: Mutex::new(None),
        }
    }

    /// The same function under another name (to register several).
    pub fn named(mut self, name: impl Into<String>) -> ScoreFunction {
        self.name = name.into();
        self
    }

    /// The function ready to register (`SessionContext::register_udf`).
    pub fn into_udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }

    /// The scorer of firm structs of `fields`.
    fn scorer(&self, fields: &Fields) -> std::result::Result<Arc<FirmScorer>, String> {
        let mut cached = self.scorer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((f, scorer)) = cached.as_ref() {
            if f == fields {
                return Ok(scorer.clone());
            }
        }
        let schema = Schema::new(fields.clone());
        let scorer = FirmScorer::new(&self.name, &self.rules, &self.opts, &schema).map_err(|e| e.to_string())?;
        let scorer = Arc::new(scorer);
        *cached = Some((fields.clone(), scorer.clone()));
        Ok(scorer)
    }

    /// What tells two functions apart.
    fn identity(&self) -> impl PartialEq + Hash + '_ {
        let b = &self.opts.batch;
        (&self.name, &self.hash, b.as_of, &b.key, &b.carry, &b.ignore, b.explain, b.strict, self.opts.floats)
    }
}

impl fmt::Debug for ScoreFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScoreFunction")
            .field("name", &self.name)
            .field("hash", &self.hash)
            .field("as_of", &self.opts.batch.as_of)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ScoreFunction {
    fn eq(&self, other: &ScoreFunction) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for ScoreFunction {}

impl Hash for ScoreFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.identity().hash(state);
    }
}

/// The struct fields of the one argument, or why there is no such.
fn firm_fields<'a>(name: &str, arg_types: &'a [DataType]) -> std::result::Result<&'a Fields, String> {
    match arg_types {
        [DataType::Struct(fields)] => Ok(fields),
        [other] => {
            Err(format!("{name} takes one struct of the firm's columns (named_struct('uscc', uscc, …)), not a {other}"))
        }
        _ => Err(format!("{name} takes one argument, a struct of the firm's columns, not {}", arg_types.len())),
    }
}

impl ScalarUDFImpl for ScoreFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let fields = match firm_fields(&self.name, arg_types) {
            Ok(fields) => fields,
            Err(m) => return plan_err!("{m}"),
        };
        match self.scorer(fields) {
            Ok(scorer) => Ok(DataType::Struct(scorer.fields().clone())),
            Err(m) => plan_err!("{m}"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [arg] = args.args.as_slice() else { return exec_err!("{} takes one argument", self.name) };
        let array: ArrayRef = arg.to_array(rows)?;
        let Some(firms) = array.as_any().downcast_ref::<StructArray>() else {
            return exec_err!("{} takes a struct, not a {}", self.name, array.data_type());
        };
        let scorer = match self.scorer(firms.fields()) {
            Ok(scorer) => scorer,
            Err(m) => return exec_err!("{m}"),
        };
        let (fields, columns, nulls) = firms.clone().into_parts();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
        let scored = match scorer.score(&batch, 2) {
            Ok(scored) => scored,
            Err(e) => return exec_err!("{e}"),
        };
        // A null firm (the whole struct null) gives a null result.
        let (fields, columns, _) = scored.into_parts();
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(fields, columns, nulls)?)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use super::*;

    fn function(as_of: (i32, u32, u32)) -> ScoreFunction {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/hazchem-risk-2018.toml");
        let loaded = safegrade::load(root, &|p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string()));
        let rules = loaded.rules.expect("the rule set checks");
        let date = chrono::NaiveDate::from_ymd_opt(as_of.0, as_of.1, as_of.2).expect("a date");
        ScoreFunction::new(rules, Options::new(date))
    }

    fn hash(f: &ScoreFunction) -> u64 {
        let mut h = DefaultHasher::new();
        f.hash(&mut h);
        h.finish()
    }

    #[test]
    fn functions_are_equal_by_rules_hash_date_and_name() {
        let (a, b) = (function((2026, 6, 30)), function((2026, 6, 30)));
        assert!(a == b && hash(&a) == hash(&b));
        let later = function((2026, 7, 1));
        assert!(a != later);
        let renamed = function((2026, 6, 30)).named("risk");
        assert!(a != renamed && renamed.name() == "risk");
        assert!(a.into_udf() == b.into_udf(), "registered functions compare alike");
    }
}
