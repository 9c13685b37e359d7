// The host interface of the Drydock contract, with JavaScript values instead of JSON text. Every call is
// decided by the host under the plugin's grants and the invocation's mode; nothing here can widen them.

import * as raw from 'drydock:plugin/host@0.1.0';
import { Denied, Failed, InvalidInput } from './errors.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** The host refused a call; the message says why. */
export class HostError extends Error {}

function payload(error) {
  return error && typeof error === 'object' && 'payload' in error ? error.payload : error;
}

/** One line in the invocation's log; secret values are redacted by the host. */
export function log(level, message) {
  if (!LEVELS.includes(level)) {
    throw new TypeError(`log level must be one of ${LEVELS.join(', ')}, not ${level}`);
  }
  raw.log(level, String(message));
}

/** Human-readable progress of a long call. */
export function progress(message) {
  raw.progress(String(message));
}

/** Keeps `content` (a string or bytes) as an artifact of this call; returns its id. */
export function emitArtifact(name, mediaType, content) {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  try {
    return raw.emitArtifact(name, mediaType, bytes);
  } catch (error) {
    throw new HostError(`artifact \`${name}\` was refused: ${payload(error)}`);
  }
}

/** The value of secret `name` if the operator granted it (otherwise a `Denied`). Redacted everywhere. */
export function secret(name) {
  try {
    return raw.secret(name);
  } catch (error) {
    throw new Denied(`secret \`${name}\`: ${payload(error)}`);
  }
}

/** Calls another loaded tool with `args` (an object) under that tool's own grants; returns its result. */
export function callTool(name, args) {
  try {
    return JSON.parse(raw.callTool(name, JSON.stringify(args)));
  } catch (error) {
    const why = payload(error);
    if (why && why.tag === 'invalid-input') throw new InvalidInput(`\`${name}\`: ${why.val}`);
    if (why && why.tag === 'denied') throw new Denied(`\`${name}\`: ${why.val}`);
    if (why && why.tag === 'failed') throw new Failed(`\`${name}\`: ${why.val}`);
    throw error;
  }
}

/** `"dry-run"` or `"live"`: how the host treats this call's writes. A plugin can ask, never choose. */
export function currentMode() {
  return raw.currentMode();
}

/** Asks the language model the operator configured (needs the `llm` grant); OpenAI chat shapes. */
export function llmComplete(request) {
  try {
    return JSON.parse(raw.llmComplete(JSON.stringify(request)));
  } catch (error) {
    throw new HostError(`llm: ${payload(error)}`);
  }
}
