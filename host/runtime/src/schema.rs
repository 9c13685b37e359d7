//! Argument validation against a tool's declared JSON Schema.
//!
//! Arguments are checked before the plugin runs, so a tool only ever sees arguments of the shape it
//! declared, and a caller learns which field was wrong without a round trip through the guest. The schema
//! library is built without remote or file `$ref` resolution: a plugin's schema cannot make the host fetch
//! anything.

use serde_json::Value;

/// A tool's compiled input schema.
pub struct ArgsSchema {
    validator: jsonschema::Validator,
}

/// At most this many problems are reported for one call.
const MAX_PROBLEMS: usize = 8;

impl ArgsSchema {
    /// Compiles a tool's schema. It must be a JSON object schema whose `type` is `"object"`.
    pub fn compile(schema: &Value) -> Result<Self, String> {
        let Some(object) = schema.as_object() else {
            return Err("the input schema must be a JSON object".into());
        };
        if object.get("type").and_then(Value::as_str) != Some("object") {
            return Err(
                r#"the input schema must have "type": "object" (arguments are a JSON object)"#
                    .into(),
            );
        }
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .map_err(|err| {
                // The library checks the schema against the meta-schema, so the error's instance path is
                // the place in the schema that is wrong: name it, as a plugin's schema can be long.
                let at = err.instance_path().to_string();
                let at = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at {at}")
                };
                format!("the input schema is not valid JSON Schema{at}: {err}")
            })?;
        Ok(Self { validator })
    }

    /// Checks `args`, returning one line per problem, each naming the field as a JSON pointer
    /// (`/` for the arguments object itself).
    pub fn check(&self, args: &Value) -> Result<(), Vec<String>> {
        // The validator's yes/no pass is several times cheaper than collecting errors (it tracks no
        // locations and allocates nothing); the errors are looked for only when there are some.
        if self.validator.is_valid(args) {
            return Ok(());
        }
        let problems: Vec<String> = self
            .validator
            .iter_errors(args)
            .take(MAX_PROBLEMS)
            .map(|err| {
                let path = err.instance_path().to_string();
                let field = if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                };
                format!("{field}: {}", err.masked_with("the value"))
            })
            .collect();
        if problems.is_empty() {
            // The two passes disagreeing would be a bug of the library; the arguments are refused either way.
            Err(vec![
                "/: the arguments do not match the tool's input schema".to_owned(),
            ])
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ArgsSchema {
        ArgsSchema::compile(&json!({
            "type": "object",
            "properties": {"path": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
            "required": ["path"],
            "additionalProperties": false
        }))
        .unwrap()
    }

    #[test]
    fn accepts_matching_arguments() {
        assert!(
            schema()
                .check(&json!({"path": "a.txt", "count": 2}))
                .is_ok()
        );
    }

    #[test]
    fn names_the_field_with_the_wrong_type() {
        let problems = schema().check(&json!({"path": 3})).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("/path:"), "{problems:?}");
    }

    #[test]
    fn names_a_missing_required_field() {
        let problems = schema().check(&json!({})).unwrap_err();
        assert!(
            problems[0].starts_with("/:") && problems[0].contains("path"),
            "{problems:?}"
        );
    }

    #[test]
    fn rejects_unknown_fields() {
        let problems = schema()
            .check(&json!({"path": "a", "extra": 1}))
            .unwrap_err();
        assert!(problems[0].contains("extra"), "{problems:?}");
    }

    #[test]
    fn checks_formats_on_the_fast_path_too() {
        let schema = ArgsSchema::compile(&json!({
            "type": "object",
            "properties": {"when": {"type": "string", "format": "date"}}
        }))
        .unwrap();
        assert!(schema.check(&json!({"when": "2026-11-28"})).is_ok());
        let problems = schema.check(&json!({"when": "yesterday"})).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("/when: "), "{problems:?}");
    }

    #[test]
    fn refuses_a_schema_that_is_not_an_object_schema() {
        assert!(ArgsSchema::compile(&json!({"type": "string"})).is_err());
        assert!(ArgsSchema::compile(&json!([1])).is_err());
    }

    #[test]
    fn names_where_a_schema_breaks_the_meta_schema() {
        let wrong_type = json!({"type": "object", "properties": {"path": {"type": "text"}}});
        let Err(error) = ArgsSchema::compile(&wrong_type) else {
            panic!("\"type\": \"text\" was accepted");
        };
        assert!(
            error
                .starts_with("the input schema is not valid JSON Schema at /properties/path/type:"),
            "{error}"
        );
    }

    #[test]
    fn refuses_remote_references() {
        let remote =
            json!({"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:1/x.json"}}});
        assert!(ArgsSchema::compile(&remote).is_err());
    }
}
