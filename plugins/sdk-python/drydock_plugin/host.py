"""The host interface of the Drydock contract, with Python values instead of JSON text.

Every call is decided by the host under the plugin's grants and the invocation's mode; nothing here can
widen them.
"""

import json

from componentize_py_types import Err
from wit_world.imports import drydock_plugin_types as types
from wit_world.imports import host as _host

from .errors import Denied, Failed, InvalidInput

_LEVELS = {
    "trace": types.LogLevel.TRACE,
    "debug": types.LogLevel.DEBUG,
    "info": types.LogLevel.INFO,
    "warn": types.LogLevel.WARN,
    "error": types.LogLevel.ERROR,
}


class HostError(Exception):
    """The host refused a call; the message says why (an ungranted secret, a spent budget...)."""


def log(level, message):
    """One line in the invocation's log (``trace``, ``debug``, ``info``, ``warn`` or ``error``). Secret
    values are redacted by the host."""
    if level not in _LEVELS:
        raise ValueError(f"log level must be one of {sorted(_LEVELS)}, not {level!r}")
    _host.log(_LEVELS[level], message)


def progress(message):
    """Human-readable progress of a long call, shown to whoever follows it."""
    _host.progress(message)


def emit_artifact(name, media_type, content):
    """Keeps ``content`` (bytes or str) as an artifact of this call; returns its id."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    try:
        return _host.emit_artifact(name, media_type, content)
    except Err as error:
        raise HostError(f"artifact `{name}` was refused: {error.value}") from None


def secret(name):
    """The value of secret ``name``, if the operator granted it to this plugin (otherwise raises
    :class:`drydock_plugin.Denied`, which a tool may let propagate). The host redacts it from every log,
    journal entry and result."""
    try:
        return _host.secret(name)
    except Err as error:
        raise Denied(f"secret `{name}`: {error.value}") from None


def call_tool(name, args):
    """Calls another loaded tool with ``args`` (a dict) under that tool's own grants; returns its result.
    A refusal or failure raises the matching ``drydock_plugin`` error."""
    try:
        return json.loads(_host.call_tool(name, json.dumps(args)))
    except Err as error:
        value = error.value
        if isinstance(value, types.ToolError_InvalidInput):
            raise InvalidInput(f"`{name}`: {value.value}") from None
        if isinstance(value, types.ToolError_Denied):
            raise Denied(f"`{name}`: {value.value}") from None
        raise Failed(f"`{name}`: {value.value}") from None


def current_mode():
    """``"dry-run"`` or ``"live"``: how the host treats this call's writes. A plugin can ask, never choose."""
    return "live" if _host.current_mode() == types.Mode.LIVE else "dry-run"


def llm_complete(request):
    """Asks the language model the operator configured (the plugin needs the ``llm`` grant). ``request``
    and the answer are dicts in the OpenAI chat-completions shape."""
    try:
        return json.loads(_host.llm_complete(json.dumps(request)))
    except Err as error:
        raise HostError(f"llm: {error.value}") from None
