"""A Python plugin whose tool declares an input schema that is JSON but not valid JSON Schema (`"text"` is
not a JSON Schema type): the host must refuse the plugin at load, naming the tool and the schema problem,
and load the other plugins as if it were not there."""

from drydock_plugin import Plugin

plugin = Plugin("hostile_py_bad_schema")


@plugin.tool("fine", "A tool with a good schema, never offered: the plugin loads whole or not at all.",
             {"type": "object"})
def fine(args):
    return {}


@plugin.tool("broken", "Never offered.", {"type": "object", "properties": {"path": {"type": "text"}}})
def broken(args):
    return {}


Tool = plugin.export()
