// Builds one JavaScript plugin into a component:
// `node build.mjs <componentize-js dir> <app.js> <out.wasm> [<wit dir>]` (the SDK's `wit/` unless a plugin
// brings its own, as the hostile fixtures built for another contract version do).
// Run it from a directory that holds both the plugin and the SDK (componentize-js sees only the files
// under the working directory); `cargo xtask plugins` runs it from `plugins/`.

import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [toolchain, source, out, witDir] = process.argv.slice(2);
if (!toolchain || !source || !out) {
  console.error('usage: node build.mjs <componentize-js package dir> <app.js> <out.wasm> [<wit dir>]');
  process.exit(2);
}
const entry = pathToFileURL(join(toolchain, 'src', 'componentize.js')).href;
const { componentize } = await import(entry);
const wit = witDir ? resolve(witDir) : join(dirname(fileURLToPath(import.meta.url)), 'wit');
try {
  const { component } = await componentize({
    sourcePath: resolve(source),
    witPath: wit,
    worldName: 'tool-plugin',
  });
  await writeFile(out, component);
} catch (error) {
  // The engine's own message (a syntax error with file and line, a missing export) without Node's stack.
  console.error(String(error && error.message ? error.message : error));
  process.exit(1);
}
