//! JSON helpers: declaring a tool and its argument schema, reading arguments into a typed struct, and
//! calling another tool through the host with `serde_json` values.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{ToolError, ToolSpec, host};

/// The JSON Schema dialect of every input schema.
const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Declares a tool: its `<plugin>.<tool>` name, a sentence saying what it does, and the JSON Schema of its
/// arguments (usually built with [`object_schema`]).
pub fn tool_spec(name: &str, description: &str, input_schema: &Value) -> ToolSpec {
    ToolSpec {
        name: name.to_owned(),
        description: description.to_owned(),
        input_schema: input_schema.to_string(),
    }
}

/// The input schema of a tool taking an object: draft 2020-12, `type: object`, the given `properties` (a
/// `json!` object of property schemas), the `required` names, and no other properties.
///
/// ```ignore
/// let schema = object_schema(json!({"path": {"type": "string"}}), &["path"]);
/// ```
pub fn object_schema(properties: Value, required: &[&str]) -> Value {
    json!({
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// Reads a tool's arguments into `T`. A mismatch (which the host's schema check should already have caught)
/// becomes [`ToolError::InvalidInput`] naming the field.
pub fn parse_args<T: DeserializeOwned>(args: Value) -> Result<T, ToolError> {
    serde_json::from_value(args).map_err(|error| ToolError::InvalidInput(error.to_string()))
}

/// Turns a tool's result into JSON; a value that cannot be represented becomes [`ToolError::Failed`].
pub fn to_json<T: Serialize>(result: &T) -> Result<Value, ToolError> {
    serde_json::to_value(result)
        .map_err(|error| ToolError::Failed(format!("result is not JSON: {error}")))
}

/// Calls another tool through the host. The callee runs in its own sandbox with its own grants, one
/// call-tool level deeper; the host refuses with [`ToolError::Denied`] past the depth limit.
pub fn call_tool(name: &str, args: &Value) -> Result<Value, ToolError> {
    let result = host::call_tool(name, &args.to_string())?;
    serde_json::from_str(&result)
        .map_err(|error| ToolError::Failed(format!("tool `{name}` returned invalid JSON: {error}")))
}
