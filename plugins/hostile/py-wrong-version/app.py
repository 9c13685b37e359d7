"""A Python plugin built against `drydock:plugin@0.2.0` (its own `wit/`), a contract version this host does not
speak: the host must refuse it naming the version it found, the version it speaks and what to do, and load
the other plugins as if it were not there."""

from drydock_plugin import Plugin

plugin = Plugin("hostile_py_wrong_version")


@plugin.tool("never", "Never offered.", {"type": "object"})
def never(args):
    return {}


Tool = plugin.export()
