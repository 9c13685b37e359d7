// The environment variables the operator granted to the plugin (the engine has no `process.env`); every
// other variable is invisible.

import { getEnvironment } from 'wasi:cli/environment@0.2.12';

/** The value of variable `name`, or `undefined` when it is not granted (or not set). */
export function get(name) {
  const found = getEnvironment().find(([key]) => key === name);
  return found ? found[1] : undefined;
}

/** Every granted variable, as an object. */
export function all() {
  return Object.fromEntries(getEnvironment());
}
