// The `notes_js` plugin: the notes tool set of the conformance suite, in JavaScript (the same tools as
// plugins/notes-py). Files live under /workspace (the directory the operator granted); `fetch` and `post`
// go through the host's HTTP gate; `peek` tries any path (the host decides); `secret` reads a granted
// secret and only says how long it is; `call` calls another tool; `report` keeps an artifact. `crash`,
// `spin` and `hog` misbehave on purpose, to show that the host's limits hold for JavaScript plugins too.

import { Denied, Failed, InvalidInput, Plugin, env, files, host, http } from '../sdk-js/index.js';

const plugin = new Plugin('notes_js');
const STRING = { type: 'string' };
const object = (properties, required) => ({ type: 'object', properties, required, additionalProperties: false });

function inside(path) {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (path.startsWith('/') || parts.length === 0 || parts.includes('..')) {
    throw new InvalidInput(`\`path\` must be a relative path inside the workspace, not ${JSON.stringify(path)}`);
  }
  return `/workspace/${parts.join('/')}`;
}

plugin.tool('echo', 'Echoes its text back (the languages benchmark calls it).', object({ text: STRING }, ['text']), (args) => ({
  text: args.text,
}));

plugin.tool('read', 'Reads a note (a UTF-8 file) from the workspace.', object({ path: STRING }, ['path']), (args) => {
  return { path: args.path, content: files.readText(inside(args.path)) };
});

plugin.tool(
  'write',
  'Writes a note into the workspace (a dry run keeps it in a scratch copy and shows the diff).',
  object({ path: STRING, content: STRING }, ['path', 'content']),
  (args) => ({ path: args.path, bytes: files.writeText(inside(args.path), args.content) }),
);

plugin.tool('search', 'Finds the lines of the notes that contain a text.', object({ text: STRING }, ['text']), (args) => {
  const matches = [];
  for (const path of files.walk('/workspace')) {
    let text;
    try {
      text = files.readText(`/workspace/${path}`);
    } catch {
      continue;
    }
    text.split('\n').forEach((line, index) => {
      if (line.includes(args.text)) matches.push({ path, line: index + 1, text: line });
    });
  }
  return { matches };
});

plugin.tool(
  'peek',
  'Tries to read any absolute path, inside the workspace or not (the host allows only granted directories).',
  object({ path: STRING }, ['path']),
  (args) => {
    try {
      return { path: args.path, content: files.readText(args.path) };
    } catch (error) {
      if (error instanceof Denied) throw error;
      throw new Denied(`cannot read ${args.path}: ${error.message}`);
    }
  },
);

plugin.tool('fetch', "Reads a URL (GET) through the host's HTTP gate.", object({ url: STRING }, ['url']), (args) => {
  const response = http.get(args.url);
  return { status: response.status, body: response.text };
});

plugin.tool(
  'post',
  'Posts a note to a URL as JSON; in a dry run the host answers instead of sending it.',
  object({ url: STRING, text: STRING }, ['url', 'text']),
  (args) => {
    const response = http.post(args.url, { json: { note: args.text } });
    return { status: response.status, simulated: response.simulated };
  },
);

plugin.tool('env', 'Tells the value of an environment variable, if the plugin may see it.', object({ name: STRING }, ['name']), (args) => {
  return { name: args.name, value: env.get(args.name) ?? null };
});

plugin.tool(
  'secret',
  'Reads a granted secret and tells its length (logging it, which the host redacts).',
  object({ name: STRING }, ['name']),
  (args) => {
    const value = host.secret(args.name);
    host.log('info', `the secret is ${value}`);
    return { name: args.name, length: value.length };
  },
);

plugin.tool(
  'call',
  'Calls another tool with the given arguments and answers its result.',
  object({ tool: STRING, args: { type: 'object' } }, ['tool', 'args']),
  (args) => ({ result: host.callTool(args.tool, args.args) }),
);

plugin.tool('report', 'Keeps a short Markdown report as an artifact.', object({ title: STRING }, ['title']), (args) => {
  const mode = host.currentMode();
  const artifact = host.emitArtifact('report.md', 'text/markdown', `# ${args.title}\n\nMode: ${mode}\n`);
  return { artifact, mode };
});

plugin.tool('crash', 'Throws an error (the host reports a trap with its message).', object({ message: STRING }, ['message']), (args) => {
  throw new Error(args.message);
});

plugin.tool('spin', "Loops forever (the host's timeout stops it).", object({}, []), () => {
  for (;;) {}
});

plugin.tool('hog', "Allocates without end (the host's memory limit stops it).", object({}, []), () => {
  const kept = [];
  for (;;) kept.push(new Uint8Array(1024 * 1024).fill(1));
});

export const tool = plugin.export();

// Failed is part of the SDK's answers; referenced so the import list documents all three.
void Failed;
