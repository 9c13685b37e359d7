// A JavaScript plugin that throws while its module is evaluated. componentize-js evaluates the module at
// build time (Wizer snapshots the initialised engine), so this never becomes a component: the build fails
// with the error, its file and its line. It sits under `hostile/unbuildable/`, which `cargo xtask plugins`
// does not build; the test builds it and checks the failure.

import { Plugin } from '../../../sdk-js/index.js';

const plugin = new Plugin('hostile_js_eval_throws');
plugin.tool('never', 'Never offered.', { type: 'object' }, () => ({}));

export const tool = plugin.export();

throw new Error('the module is broken on purpose at evaluation');
