// A JavaScript plugin whose tool declares an input schema that is JSON but not valid JSON Schema
// (`required` must be an array of names): the host must refuse the plugin at load, naming the tool and the
// schema problem, and load the other plugins as if it were not there.

import { Plugin } from '../../sdk-js/index.js';

const plugin = new Plugin('hostile_js_bad_schema');
// A good tool first: the plugin loads whole or not at all, so this one is never offered either.
plugin.tool('fine', 'Never offered.', { type: 'object' }, () => ({}));
plugin.tool('broken', 'Never offered.', { type: 'object', required: 'path' }, () => ({}));

export const tool = plugin.export();
