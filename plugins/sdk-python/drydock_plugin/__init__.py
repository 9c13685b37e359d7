"""Drydock plugin SDK for Python: write a tool plugin as plain functions.

A plugin is one module built into a WebAssembly component with componentize-py
(``drydock plugin build``, or ``componentize-py -d <sdk>/wit -w tool-plugin componentize app -p <sdk>``).
The module registers its tools on a :class:`Plugin` and exposes ``Tool = plugin.export()``, the class
componentize-py looks for::

    from drydock_plugin import Plugin, InvalidInput

    plugin = Plugin("greeter")

    @plugin.tool("greet", "Greets someone by name.",
                 {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
    def greet(args):
        return {"greeting": f"Hello, {args['name']}!"}

    Tool = plugin.export()

componentize-py snapshots the module at build time: import everything at the top level.

What a tool can use:

- files: plain ``open()`` under the directories the operator granted (the first one at ``/workspace``);
  in a dry run a write lands in a scratch copy and the host keeps the diff.
- environment: ``os.environ`` holds only the variables granted to the plugin.
- outgoing HTTP: :mod:`drydock_plugin.http` (``http.get``, ``http.post``, ``http.request``); a request the
  grants do not allow raises :class:`drydock_plugin.http.HttpDenied`, and in a dry run a write is answered
  by the host (``response.simulated``).
- the host: :mod:`drydock_plugin.host` (``secret``, ``log``, ``progress``, ``emit_artifact``, ``call_tool``,
  ``current_mode``, ``llm_complete``).

A tool answers with a JSON-serialisable value, or raises :class:`InvalidInput`, :class:`Denied` or
:class:`Failed` with a sentence saying what is wrong. Any other exception is a crash: the host stops the
call and reports a ``trap`` with the exception's message.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import drydock_plugin_types as types

from . import host, http
from .errors import Denied, Failed, InvalidInput, ToolError

__all__ = ["Plugin", "ToolError", "InvalidInput", "Denied", "Failed", "host", "http"]


class _Registered:
    def __init__(self, name, description, schema, function):
        self.name = name
        self.description = description
        self.schema = schema
        self.function = function


class Plugin:
    """The tools of one plugin. ``name`` is the component's file stem (``notes_py`` for
    ``notes_py.wasm``); each tool is offered as ``<name>.<tool>``."""

    def __init__(self, name):
        self.name = name
        self._tools = {}

    def tool(self, name, description, schema=None):
        """Registers the decorated function as tool ``<plugin>.<name>``. ``schema`` is the JSON Schema of
        its arguments (an object schema; the host checks every call against it before the tool runs).
        The function takes the arguments as a dict and returns a JSON-serialisable value."""
        full_name = f"{self.name}.{name}"
        if full_name in self._tools:
            raise ValueError(f"tool `{full_name}` is registered twice")
        schema = schema if schema is not None else {"type": "object"}

        def register(function):
            self._tools[full_name] = _Registered(full_name, description, schema, function)
            return function

        return register

    def export(self):
        """The class componentize-py exports as the ``drydock:plugin/tool`` interface: bind it to the
        module-level name ``Tool``."""
        tools = self._tools

        class Tool(exports.Tool):
            def describe(self):
                return [
                    types.ToolSpec(name=t.name, description=t.description, input_schema=json.dumps(t.schema))
                    for t in tools.values()
                ]

            def invoke(self, name, args):
                registered = tools.get(name)
                if registered is None:
                    raise Err(types.ToolError_InvalidInput(f"this plugin has no tool `{name}`"))
                try:
                    parsed = json.loads(args)
                except ValueError as error:
                    raise Err(types.ToolError_InvalidInput(f"the arguments are not JSON: {error}"))
                try:
                    result = registered.function(parsed)
                except ToolError as error:
                    raise Err(error._wit())
                return json.dumps(result)

        return Tool
