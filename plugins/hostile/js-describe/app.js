// A JavaScript plugin whose `describe` throws: the host must refuse it with the error's message, load the
// other plugins as if it were not there, and keep nothing of it.

import { Plugin } from '../../sdk-js/index.js';

const plugin = new Plugin('hostile_js_describe');
plugin.tool('never', 'Never offered.', { type: 'object' }, () => ({}));

export const tool = {
  ...plugin.export(),
  describe() {
    throw new Error('describe is broken on purpose');
  },
};
