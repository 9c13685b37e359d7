// A JavaScript plugin built against `drydock:plugin@0.2.0` (its own `wit/`), a contract version this host
// does not speak: the host must refuse it naming the version it found, the version it speaks and what to do,
// and load the other plugins as if it were not there. It implements the interface by hand: the SDK imports
// the host interface at this Drydock's version (`drydock:plugin/host@0.1.0`), which this world lacks.

export const tool = {
  describe() {
    return [
      { name: 'hostile_js_wrong_version.never', description: 'Never offered.', inputSchema: '{"type":"object"}' },
    ];
  },
  invoke() {
    return '{}';
  },
};
