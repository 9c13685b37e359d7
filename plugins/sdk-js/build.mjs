// Builds one JavaScript plugin into a component:
//   node build.mjs <componentize-js dir> <app.js> <out.wasm> [<wit dir, default: the SDK's wit/>]
// Run it from a directory that holds both the plugin and the SDK (componentize-js sees only the files
// under the working directory). `drydock plugin build` and `cargo xtask plugins` run the copy the drydock
// binary carries (host/toolchain embeds this file), so a project's SDK copy never needs its own.

import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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
  // The engine's own message (an exception with file and line, a missing export) without Node's stack.
  const message = String(error && error.message ? error.message : error);
  console.error((await syntaxErrors(message)) ?? message);
  process.exit(1);
}

// componentize-js reports a syntax error in the plugin's source only as a count; its parser (oxc) has
// each error with the file, line and the offending code, so ask it again.
async function syntaxErrors(message) {
  if (!message.startsWith('failed to parse JS source')) return null;
  try {
    const require = createRequire(join(toolchain, 'src', 'componentize.js'));
    const oxc = await import(pathToFileURL(require.resolve('oxc-parser')).href);
    const { errors } = await oxc.parseAsync(source, await readFile(source, 'utf8'));
    return errors.map((e) => e.codeframe || e.message).join('\n') || null;
  } catch {
    return null;
  }
}
