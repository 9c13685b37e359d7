"""The answers a tool gives instead of a result (the contract's `tool-error`): the caller sees the message;
nothing crashed."""

from wit_world.imports import drydock_plugin_types as types


class ToolError(Exception):
    """A tool's answer that is not a result: the caller sees the message, nothing crashed."""

    def _wit(self):
        return types.ToolError_Failed(str(self))


class InvalidInput(ToolError):
    """The arguments are not acceptable; the message names the field and what is wrong."""

    def _wit(self):
        return types.ToolError_InvalidInput(str(self))


class Denied(ToolError):
    """Something the tool needed was not granted, or the host refused it; the message says which."""

    def _wit(self):
        return types.ToolError_Denied(str(self))


class Failed(ToolError):
    """The tool ran and failed; the message says what failed and, where it can, what to do."""
