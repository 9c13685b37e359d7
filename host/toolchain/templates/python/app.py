"""The `{{name}}` plugin: `read` reads a note from the directory the operator granted (it appears at
`/workspace`), `post` sends a note to a URL as JSON. Nothing is granted by default: `drydock.toml` is the
policy you develop with, and in a dry run the host answers the POST itself and sends nothing.

componentize-py runs this module at build time and snapshots it: import everything at the top level.
"""

from drydock_plugin import Failed, InvalidInput, Plugin, http

plugin = Plugin("{{name}}")

PATH = {"type": "string", "description": "A note's path inside the workspace."}
URL = {"type": "string", "description": "Where to post the note."}


def _object(properties):
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _read_note(relative):
    """A note under /workspace; `..` and absolute paths are refused here (the host would refuse them too)."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or relative.startswith("/"):
        raise InvalidInput(f"`path` must be a relative path inside the workspace, not {relative!r}")
    try:
        with open("/workspace/" + "/".join(parts), encoding="utf-8") as note:
            return note.read()
    except OSError as err:
        raise Failed(f"cannot read the note `{relative}`: {err}")


@plugin.tool("read", "Reads a note (a UTF-8 file) from the workspace.", _object({"path": PATH}))
def read(args):
    return {"path": args["path"], "content": _read_note(args["path"])}


@plugin.tool(
    "post",
    "Posts a note from the workspace to a URL as JSON; in a dry run the host answers instead.",
    _object({"path": PATH, "url": URL}),
)
def post(args):
    note = {"path": args["path"], "content": _read_note(args["path"])}
    # An ungranted URL raises http.HttpDenied before anything leaves the machine.
    response = http.post(args["url"], json=note)
    return {"status": response.status, "simulated": response.simulated}


Tool = plugin.export()
