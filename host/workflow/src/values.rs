//! How values enter the state: type checks and conversions for `output_model` and `inputs` types,
//! how tool and LLM results are mapped onto `output_model`, the `update_state` actions, and how a
//! `user_message` is rendered. Errors are plain text; the engine adds the step's name.

use serde_json::{Map, Value};

use crate::flow::{MessagePart, NodeType, OutputField, UpdateAction, UpdateSource, VarType};
use crate::template::{Template, TemplateError, VarPath, display_value, render_json};

impl VarType {
    /// Whether `value` already has this type (`float` takes integers too).
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            VarType::Str => value.is_string(),
            VarType::Int => value.is_i64() || value.is_u64(),
            VarType::Float => value.is_number(),
            VarType::Bool => value.is_boolean(),
            VarType::List => value.is_array(),
            VarType::Dict => value.is_object(),
            VarType::Any => true,
        }
    }

    /// Converts an answer or input to this type: values of the type pass; text is parsed (`"3"` for
    /// `int`, `yes`/`no` for `bool`, JSON for `list` and `dict`); scalars become text for `str`.
    pub fn coerce(self, value: Value) -> Result<Value, String> {
        if self.accepts(&value) {
            return Ok(value);
        }
        let expected = match self {
            VarType::Str => "text",
            VarType::Int => "an integer",
            VarType::Float => "a number",
            VarType::Bool => "yes or no",
            VarType::List => "a JSON list",
            VarType::Dict => "a JSON object",
            VarType::Any => "anything",
        };
        let mismatch = || format!("expected {expected}, got {value}");
        let converted = match (&value, self) {
            (Value::Number(_) | Value::Bool(_), VarType::Str) => {
                Some(Value::String(value.to_string()))
            }
            (Value::String(text), VarType::Int) => text.trim().parse::<i64>().ok().map(Value::from),
            (Value::String(text), VarType::Float) => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            (Value::String(text), VarType::Bool) => {
                match text.trim().to_ascii_lowercase().as_str() {
                    "yes" | "y" | "true" => Some(Value::Bool(true)),
                    "no" | "n" | "false" => Some(Value::Bool(false)),
                    _ => None,
                }
            }
            (Value::String(text), VarType::List | VarType::Dict) => serde_json::from_str(text)
                .ok()
                .filter(|parsed| self.accepts(parsed)),
            _ => None,
        };
        converted.ok_or_else(mismatch)
    }
}

/// The state changes a tool or llm result makes through `output_model`.
///
/// - no `output_model`: none;
/// - tool node, one variable: the whole result;
/// - llm node, one variable: the result's field of that name when the result is an object holding
///   it, else the whole result (a plain-text reply);
/// - several variables: each the result's field of that name (missing = error).
///
/// Each value must have the declared type (text is converted as in [`VarType::coerce`]).
pub(crate) fn output_updates(
    node_type: NodeType,
    model: &[OutputField],
    result: &Value,
) -> Result<Map<String, Value>, String> {
    let mut updates = Map::new();
    for field in model {
        let field_value = result.get(&field.name);
        let value = match (model.len(), node_type, field_value) {
            (1, NodeType::Tool, _) => result.clone(),
            (1, _, None) => result.clone(),
            (_, _, Some(value)) => value.clone(),
            (_, _, None) => {
                return Err(format!(
                    "the result has no field `{}` (output_model expects {})",
                    field.name,
                    model
                        .iter()
                        .map(|f| format!("`{}`", f.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        };
        let value = field
            .var_type
            .coerce(value)
            .map_err(|e| format!("output_model `{}`: {e}", field.name))?;
        updates.insert(field.name.clone(), value);
    }
    Ok(updates)
}

/// The new value of an `update_state` target.
pub(crate) fn apply_update(
    source: &UpdateSource,
    action: UpdateAction,
    target: &OutputField,
    state: &Map<String, Value>,
) -> Result<Value, String> {
    let value = match source {
        UpdateSource::Variable(path) => VarPath::parse(path)
            .ok_or_else(|| format!("`{path}` is not a variable path"))?
            .lookup(state)
            .map_err(|e| e.to_string())?
            .clone(),
        UpdateSource::Value(value) => render_json(value, state).map_err(|e| e.to_string())?,
    };
    let current = state.get(&target.name);
    match action {
        UpdateAction::Overwrite => target
            .var_type
            .coerce(value)
            .map_err(|e| format!("`{}`: {e}", target.name)),
        UpdateAction::Append => {
            let mut items = match current {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.clone(),
                Some(other) => {
                    return Err(format!(
                        "cannot append to `{}`: it holds {other}, not a list",
                        target.name
                    ));
                }
            };
            items.push(value);
            Ok(Value::Array(items))
        }
        UpdateAction::Increment => increment(&target.name, current, &value),
    }
}

fn increment(name: &str, current: Option<&Value>, by: &Value) -> Result<Value, String> {
    let current = match current {
        None | Some(Value::Null) => &Value::from(0),
        Some(value) => value,
    };
    let not_number = |v: &Value| format!("cannot increment `{name}`: {v} is not a number");
    if !current.is_number() {
        return Err(not_number(current));
    }
    if !by.is_number() {
        return Err(not_number(by));
    }
    if let (Some(a), Some(b)) = (current.as_i64(), by.as_i64()) {
        return a
            .checked_add(b)
            .map(Value::from)
            .ok_or_else(|| format!("`{name}` would overflow"));
    }
    let sum = current.as_f64().unwrap_or(0.0) + by.as_f64().unwrap_or(0.0);
    serde_json::Number::from_f64(sum)
        .map(Value::Number)
        .ok_or_else(|| format!("`{name}` would not be a finite number"))
}

/// Renders a `user_message` (lines joined with `\n`); `None` when it has no lines.
pub(crate) fn render_message(
    parts: &[MessagePart],
    state: &Map<String, Value>,
) -> Result<Option<String>, TemplateError> {
    if parts.is_empty() {
        return Ok(None);
    }
    let mut lines = Vec::with_capacity(parts.len());
    for part in parts {
        lines.push(match part {
            MessagePart::Variable(name) => match VarPath::parse(name) {
                Some(path) => display_value(path.lookup(state)?),
                None => name.clone(),
            },
            MessagePart::Text(text) => Template::parse(text)?.render(state)?,
        });
    }
    Ok(Some(lines.join("\n")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(name: &str, var_type: VarType) -> OutputField {
        OutputField {
            name: name.into(),
            var_type,
        }
    }

    fn state(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn coerces_text_answers_to_the_declared_type() {
        assert_eq!(VarType::Int.coerce(json!(" 42 ")).unwrap(), json!(42));
        assert_eq!(VarType::Bool.coerce(json!("Yes")).unwrap(), json!(true));
        assert_eq!(VarType::List.coerce(json!("[1,2]")).unwrap(), json!([1, 2]));
        assert_eq!(VarType::Str.coerce(json!(3)).unwrap(), json!("3"));
        assert_eq!(VarType::Float.coerce(json!(3)).unwrap(), json!(3));
        assert!(VarType::Int.coerce(json!("three")).is_err());
        assert!(VarType::Dict.coerce(json!("[1]")).is_err());
    }

    #[test]
    fn overwrite_sets_and_converts() {
        let target = field("flag", VarType::Str);
        let source = UpdateSource::Value(json!("done by {who}"));
        let value = apply_update(
            &source,
            UpdateAction::Overwrite,
            &target,
            &state(json!({"who": "Ada"})),
        );
        assert_eq!(value.unwrap(), json!("done by Ada"));
        let copy = UpdateSource::Variable("answer.text".into());
        let s = state(json!({"answer": {"text": "hi"}}));
        assert_eq!(
            apply_update(&copy, UpdateAction::Overwrite, &target, &s).unwrap(),
            json!("hi")
        );
    }

    #[test]
    fn append_creates_then_extends_a_list() {
        let target = field("history", VarType::List);
        let source = UpdateSource::Variable("item".into());
        let first = apply_update(
            &source,
            UpdateAction::Append,
            &target,
            &state(json!({"item": "a"})),
        )
        .unwrap();
        assert_eq!(first, json!(["a"]));
        let s = state(json!({"item": {"k": 1}, "history": ["a"]}));
        assert_eq!(
            apply_update(&source, UpdateAction::Append, &target, &s).unwrap(),
            json!(["a", {"k": 1}])
        );
        let s = state(json!({"item": 1, "history": "text"}));
        let err = apply_update(&source, UpdateAction::Append, &target, &s).unwrap_err();
        assert!(err.contains("not a list"), "{err}");
    }

    #[test]
    fn increment_counts_from_zero_and_checks_numbers() {
        let target = field("count", VarType::Int);
        let by_one = UpdateSource::Value(json!(1));
        let s = state(json!({}));
        assert_eq!(
            apply_update(&by_one, UpdateAction::Increment, &target, &s).unwrap(),
            json!(1)
        );
        let s = state(json!({"count": 41}));
        assert_eq!(
            apply_update(&by_one, UpdateAction::Increment, &target, &s).unwrap(),
            json!(42)
        );
        let s = state(json!({"count": 1.5}));
        assert_eq!(
            apply_update(&by_one, UpdateAction::Increment, &target, &s).unwrap(),
            json!(2.5)
        );
        let s = state(json!({"count": "x"}));
        assert!(apply_update(&by_one, UpdateAction::Increment, &target, &s).is_err());
    }

    #[test]
    fn maps_results_onto_the_output_model() {
        let one = [field("result", VarType::Dict)];
        let tool = output_updates(NodeType::Tool, &one, &json!({"result": 1, "x": 2})).unwrap();
        assert_eq!(tool["result"], json!({"result": 1, "x": 2}));
        let answer = [field("answer", VarType::Str)];
        let llm = output_updates(NodeType::Llm, &answer, &json!({"answer": "hi"})).unwrap();
        assert_eq!(llm["answer"], json!("hi"));
        let plain = output_updates(NodeType::Llm, &answer, &json!("hi")).unwrap();
        assert_eq!(plain["answer"], json!("hi"));
        let two = [field("a", VarType::Int), field("b", VarType::Int)];
        let err = output_updates(NodeType::Llm, &two, &json!({"a": 1})).unwrap_err();
        assert!(err.contains("`b`"), "{err}");
        let err = output_updates(NodeType::Tool, &answer, &json!([1])).unwrap_err();
        assert!(err.contains("expected text"), "{err}");
    }

    #[test]
    fn messages_show_variables_and_templates() {
        let parts = [
            MessagePart::Text("Answer:".into()),
            MessagePart::Variable("answer".into()),
            MessagePart::Text("({n} tries)".into()),
        ];
        let s = state(json!({"answer": "42", "n": 2}));
        assert_eq!(
            render_message(&parts, &s).unwrap().unwrap(),
            "Answer:\n42\n(2 tries)"
        );
        assert_eq!(render_message(&[], &s).unwrap(), None);
    }
}
