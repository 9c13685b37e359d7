// Drydock plugin SDK for JavaScript: write a tool plugin as plain functions.
//
// A plugin is one ES module built into a WebAssembly component with componentize-js (`cargo xtask plugins`
// builds the examples; see README.md). It registers its tools on a `Plugin` and exports
// `tool = plugin.export()`, the `drydock:plugin/tool` interface:
//
//     import { Plugin, InvalidInput } from '../sdk-js/index.js';
//     const plugin = new Plugin('greeter');
//     plugin.tool('greet', 'Greets someone by name.',
//       { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
//       (args) => ({ greeting: `Hello, ${args.name}!` }));
//     export const tool = plugin.export();
//
// A tool returns a JSON-serialisable value (or a promise of one: `fetch` works too), or throws
// `InvalidInput`, `Denied` or `Failed` with a sentence saying what is wrong. Anything else it throws is a
// crash: the host stops the call and reports a `trap` with the message.

import { ToolError } from './errors.js';

export { Denied, Failed, InvalidInput, ToolError } from './errors.js';
export * as env from './env.js';
export * as files from './files.js';
export * as host from './host.js';
export * as http from './http.js';

/** The tools of one plugin. `name` is the component's file stem (`notes_js` for `notes_js.wasm`); each
 * tool is offered as `<name>.<tool>`. */
export class Plugin {
  constructor(name) {
    this.name = name;
    this.tools = new Map();
  }

  /** Registers `run(args)` as tool `<plugin>.<name>` with the JSON Schema `schema` of its arguments (the
   * host checks every call against it before the tool runs). */
  tool(name, description, schema, run) {
    const fullName = `${this.name}.${name}`;
    if (this.tools.has(fullName)) throw new Error(`tool \`${fullName}\` is registered twice`);
    this.tools.set(fullName, { description, schema: schema ?? { type: 'object' }, run });
    return this;
  }

  /** The `drydock:plugin/tool` interface: export it as `tool`. */
  export() {
    const tools = this.tools;
    return {
      describe() {
        return [...tools].map(([name, t]) => ({
          name,
          description: t.description,
          inputSchema: JSON.stringify(t.schema),
        }));
      },
      async invoke(name, args) {
        const registered = tools.get(name);
        if (!registered) throw { tag: 'invalid-input', val: `this plugin has no tool \`${name}\`` };
        let parsed;
        try {
          parsed = JSON.parse(args);
        } catch (error) {
          throw { tag: 'invalid-input', val: `the arguments are not JSON: ${error.message}` };
        }
        try {
          return JSON.stringify(await registered.run(parsed));
        } catch (error) {
          if (error instanceof ToolError) throw { tag: error.tag, val: error.message };
          console.error(`${name} crashed: ${error && error.stack ? error.stack : error}`);
          throw error;
        }
      },
    };
  }
}
