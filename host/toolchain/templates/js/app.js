// The `{{name}}` plugin: `read` reads a note from the directory the operator granted (it appears at
// /workspace), `post` sends a note to a URL as JSON. Nothing is granted by default: drydock.toml is the
// policy you develop with, and in a dry run the host answers the POST itself and sends nothing.

import { Failed, InvalidInput, Plugin, files, http } from './drydock/index.js';

const plugin = new Plugin('{{name}}');

const PATH = { type: 'string', description: "A note's path inside the workspace." };
const URL = { type: 'string', description: 'Where to post the note.' };
const object = (properties) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

// A note under /workspace; `..` and absolute paths are refused here (the host would refuse them too).
function readNote(relative) {
  const parts = relative.split('/').filter((p) => p !== '' && p !== '.');
  if (relative.startsWith('/') || parts.length === 0 || parts.includes('..')) {
    throw new InvalidInput(`\`path\` must be a relative path inside the workspace, not ${JSON.stringify(relative)}`);
  }
  try {
    return files.readText(`/workspace/${parts.join('/')}`);
  } catch (error) {
    throw new Failed(`cannot read the note \`${relative}\`: ${error.message}`);
  }
}

plugin.tool('read', 'Reads a note (a UTF-8 file) from the workspace.', object({ path: PATH }), (args) => ({
  path: args.path,
  content: readNote(args.path),
}));

plugin.tool(
  'post',
  'Posts a note from the workspace to a URL as JSON; in a dry run the host answers instead.',
  object({ path: PATH, url: URL }),
  (args) => {
    const note = { path: args.path, content: readNote(args.path) };
    // An ungranted URL throws a Denied error before anything leaves the machine.
    const response = http.post(args.url, { json: note });
    return { status: response.status, simulated: response.simulated };
  },
);

export const tool = plugin.export();
