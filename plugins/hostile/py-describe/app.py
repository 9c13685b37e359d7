"""A Python plugin whose `describe` raises: the host must refuse it with the exception's message, load the
other plugins as if it were not there, and keep nothing of it."""

from drydock_plugin import Plugin

plugin = Plugin("hostile_py_describe")


@plugin.tool("never", "Never offered.", {"type": "object"})
def never(args):
    return {}


class Tool(plugin.export()):
    def describe(self):
        raise RuntimeError("describe is broken on purpose")
