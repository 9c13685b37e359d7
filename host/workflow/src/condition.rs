//! Edge conditions: Starlark lambdas over the run state, as seed 002 writes them:
//! `condition: "lambda x: x['choice'] == 'yes'"`. They are run by the `starlark` crate (a real
//! interpreter, not a pattern match), with `load` and `def` disabled and with a tick and heap budget
//! so a careless condition (`range(10**9)`) fails instead of hanging the host.
//!
//! The source must evaluate to a function of one argument; it is called with the state as a dict
//! and must return a bool. Anything else (a syntax error, a missing key, a non-bool result, a broken
//! budget) is a [`ConditionError`], which the engine turns into a run error naming the edge: a
//! condition never silently counts as false.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use starlark::environment::{Globals, Module};
use starlark::eval::Evaluator;
use starlark::syntax::{AstModule, Dialect};
use thiserror::Error;

/// What one condition evaluation may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionBudget {
    /// Starlark ticks (one per function call or loop iteration).
    pub max_ticks: u64,
    /// Starlark heap bytes.
    pub max_heap_bytes: usize,
}

impl Default for ConditionBudget {
    /// 100 000 ticks and 16 MiB: far above any real condition, far below a stuck host.
    fn default() -> Self {
        Self {
            max_ticks: 100_000,
            max_heap_bytes: 16 << 20,
        }
    }
}

/// Why a condition could not give a bool.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConditionError {
    /// The source is not valid Starlark.
    #[error("syntax error at column {column}: {message}")]
    Syntax {
        /// 1-based column inside the condition text.
        column: usize,
        /// The interpreter's message.
        message: String,
    },
    /// The source evaluates to something that cannot be called with the state.
    #[error("a condition must be a lambda of one argument (`lambda x: ...`), not a {found}")]
    NotALambda {
        /// The Starlark type found.
        found: String,
    },
    /// The call failed (a missing key, a type error, a broken budget...).
    #[error("evaluation failed: {0}")]
    Evaluation(String),
    /// The call returned something other than `True` or `False`.
    #[error("returned {repr} (a {found}), not a bool")]
    NotBool {
        /// The Starlark type returned.
        found: String,
        /// The value returned, as Starlark prints it.
        repr: String,
    },
}

/// The dialect: expressions and lambdas only; no `load`, no `def`.
fn dialect() -> Dialect {
    Dialect {
        enable_load: false,
        enable_def: false,
        enable_lambda: true,
        ..Dialect::Standard
    }
}

fn parse(source: &str) -> Result<AstModule, ConditionError> {
    AstModule::parse("condition", source.to_owned(), &dialect()).map_err(|err| {
        ConditionError::Syntax {
            column: err.span().map_or(1, |s| s.resolve_span().begin.column + 1),
            message: err.without_diagnostic().to_string(),
        }
    })
}

/// Checks that `source` parses and evaluates to a function, without calling it (validation).
pub fn check(source: &str) -> Result<(), ConditionError> {
    evaluate_with(source, None, ConditionBudget::default()).map(|_| ())
}

/// Evaluates `source` on `state`: true or false, or an error (never a silent false).
pub fn evaluate(
    source: &str,
    state: &Map<String, Value>,
    budget: ConditionBudget,
) -> Result<bool, ConditionError> {
    evaluate_with(source, Some(state), budget).map(|b| b.unwrap_or(false))
}

/// Starlark's standard globals, built once (they are immutable and shared).
fn standard_globals() -> &'static Globals {
    static GLOBALS: OnceLock<Globals> = OnceLock::new();
    GLOBALS.get_or_init(Globals::standard)
}

/// Evaluates the module, checks it is callable, and calls it on `state` when one is given.
fn evaluate_with(
    source: &str,
    state: Option<&Map<String, Value>>,
    budget: ConditionBudget,
) -> Result<Option<bool>, ConditionError> {
    let ast = parse(source)?;
    let globals = standard_globals();
    let evaluation = |err: starlark::Error| ConditionError::Evaluation(compact(&err));
    Module::with_temp_heap(|module| {
        let mut eval = Evaluator::new(&module);
        eval.set_max_tick_count(budget.max_ticks.max(1))
            .map_err(|e| ConditionError::Evaluation(e.to_string()))?;
        eval.set_max_heap_size(budget.max_heap_bytes.max(1))
            .map_err(|e| ConditionError::Evaluation(e.to_string()))?;
        let function = eval.eval_module(ast, globals).map_err(evaluation)?;
        if function.get_type() != "function" {
            return Err(ConditionError::NotALambda {
                found: function.get_type().to_owned(),
            });
        }
        let Some(state) = state else {
            return Ok(None);
        };
        let argument = module.heap().alloc(state);
        let result = eval
            .eval_function(function, &[argument], &[])
            .map_err(evaluation)?;
        result
            .unpack_bool()
            .map(Some)
            .ok_or_else(|| ConditionError::NotBool {
                found: result.get_type().to_owned(),
                repr: result.to_repr(),
            })
    })
}

/// The interpreter's message on one line, without the source excerpt it draws.
fn compact(err: &starlark::Error) -> String {
    let message = err.without_diagnostic().to_string();
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn state(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn true_and_false() {
        let s = state(json!({"choice": "yes", "n": 3, "items": [1, 2]}));
        let budget = ConditionBudget::default();
        assert!(evaluate("lambda x: x['choice'] == 'yes'", &s, budget).unwrap());
        assert!(!evaluate("lambda x: x['choice'] == 'no'", &s, budget).unwrap());
        assert!(evaluate("lambda x: x['n'] > 2 and len(x['items']) == 2", &s, budget).unwrap());
        assert!(evaluate("lambda x: x.get('missing', 'd') == 'd'", &s, budget).unwrap());
    }

    #[test]
    fn missing_key_is_an_error_not_false() {
        let err = evaluate(
            "lambda x: x['nope'] == 1",
            &Map::new(),
            ConditionBudget::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, ConditionError::Evaluation(m) if m.contains("nope")),
            "{err}"
        );
    }

    #[test]
    fn non_bool_result_is_an_error() {
        let err = evaluate(
            "lambda x: x['n'] + 1",
            &state(json!({"n": 1})),
            ConditionBudget::default(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ConditionError::NotBool {
                found: "int".into(),
                repr: "2".into()
            }
        );
    }

    #[test]
    fn syntax_errors_and_non_lambdas_are_caught_by_check() {
        assert!(matches!(
            check("lambda x: x['a'] ==").unwrap_err(),
            ConditionError::Syntax { .. }
        ));
        assert!(matches!(
            check("True").unwrap_err(),
            ConditionError::NotALambda { .. }
        ));
        assert!(matches!(
            check("load('x.star', 'y')").unwrap_err(),
            ConditionError::Syntax { .. }
        ));
        check("lambda x: x['a'] == 'b'").unwrap();
    }

    #[test]
    fn runaway_conditions_hit_the_budget() {
        let budget = ConditionBudget {
            max_ticks: 1_000,
            max_heap_bytes: 1 << 20,
        };
        let err = evaluate(
            "lambda x: len([i for i in range(1000000)]) > 0",
            &Map::new(),
            budget,
        )
        .unwrap_err();
        assert!(matches!(err, ConditionError::Evaluation(_)), "{err}");
    }
}
