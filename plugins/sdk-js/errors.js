// The answers a tool gives instead of a result (the contract's `tool-error`): the caller sees the message,
// nothing crashed. Anything else a tool throws is a crash: the host reports a `trap` with its message.

/** A tool's answer that is not a result. */
export class ToolError extends Error {
  /** The contract's variant for this error. */
  get tag() {
    return 'failed';
  }
}

/** The arguments are not acceptable; the message names the field and what is wrong. */
export class InvalidInput extends ToolError {
  get tag() {
    return 'invalid-input';
  }
}

/** Something the tool needed was not granted, or the host refused it; the message says which. */
export class Denied extends ToolError {
  get tag() {
    return 'denied';
  }
}

/** The tool ran and failed; the message says what failed and, where it can, what to do. */
export class Failed extends ToolError {}
