"""The `notes_py` plugin: the notes tool set of the conformance suite, in Python.

Files live under `/workspace` (the directory the operator granted); `post` and `fetch` go through the host's
HTTP gate; `peek` tries any path (the host decides); `secret` reads a granted secret and only says how long it is (the host redacts it from logs
anyway); `call` calls another tool; `report` keeps an artifact. `crash`, `spin` and `hog` misbehave on
purpose, to show that the host's limits hold for Python plugins as they do for Rust ones.
"""

import os

from drydock_plugin import Denied, Failed, InvalidInput, Plugin, host, http

ROOT = "/workspace"

plugin = Plugin("notes_py")


def _path(relative):
    """`relative` inside /workspace; `..` and absolute paths are refused before the host sees them."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or relative.startswith("/"):
        raise InvalidInput(f"`path` must be a relative path inside the workspace, not {relative!r}")
    return ROOT + "/" + "/".join(parts)


def _object(properties, required):
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


STRING = {"type": "string"}


@plugin.tool("echo", "Echoes its text back (the languages benchmark calls it).", _object({"text": STRING}, ["text"]))
def echo(args):
    return {"text": args["text"]}


@plugin.tool("read", "Reads a note (a UTF-8 file) from the workspace.", _object({"path": STRING}, ["path"]))
def read(args):
    try:
        with open(_path(args["path"]), encoding="utf-8") as note:
            return {"path": args["path"], "content": note.read()}
    except FileNotFoundError:
        raise Failed(f"no note `{args['path']}` in the workspace")


@plugin.tool(
    "write",
    "Writes a note into the workspace (a dry run keeps it in a scratch copy and shows the diff).",
    _object({"path": STRING, "content": STRING}, ["path", "content"]),
)
def write(args):
    with open(_path(args["path"]), "w", encoding="utf-8") as note:
        written = note.write(args["content"])
    return {"path": args["path"], "bytes": written}


@plugin.tool("search", "Finds the lines of the notes that contain a text.", _object({"text": STRING}, ["text"]))
def search(args):
    matches = []
    for directory, _, files in sorted(os.walk(ROOT)):
        for name in sorted(files):
            full = os.path.join(directory, name)
            try:
                with open(full, encoding="utf-8") as note:
                    for number, line in enumerate(note, start=1):
                        if args["text"] in line:
                            matches.append({"path": full[len(ROOT) + 1 :], "line": number, "text": line.rstrip("\n")})
            except (UnicodeDecodeError, OSError):
                continue
    return {"matches": matches}


@plugin.tool(
    "peek",
    "Tries to read any absolute path, inside the workspace or not (the host allows only granted directories).",
    _object({"path": STRING}, ["path"]),
)
def peek(args):
    try:
        with open(args["path"], encoding="utf-8") as file:
            return {"path": args["path"], "content": file.read()}
    except OSError as error:
        raise Denied(f"cannot read {args['path']}: {error.strerror or error}")


@plugin.tool("fetch", "Reads a URL (GET) through the host's HTTP gate.", _object({"url": STRING}, ["url"]))
def fetch(args):
    response = http.get(args["url"])
    return {"status": response.status, "body": response.text}


@plugin.tool(
    "post",
    "Posts a note to a URL as JSON; in a dry run the host answers instead of sending it.",
    _object({"url": STRING, "text": STRING}, ["url", "text"]),
)
def post(args):
    response = http.post(args["url"], json={"note": args["text"]})
    return {"status": response.status, "simulated": response.simulated}


@plugin.tool("env", "Tells the value of an environment variable, if the plugin may see it.", _object({"name": STRING}, ["name"]))
def env(args):
    return {"name": args["name"], "value": os.environ.get(args["name"])}


@plugin.tool(
    "secret",
    "Reads a granted secret and tells its length (logging it, which the host redacts).",
    _object({"name": STRING}, ["name"]),
)
def secret(args):
    value = host.secret(args["name"])
    host.log("info", f"the secret is {value}")
    return {"name": args["name"], "length": len(value)}


@plugin.tool(
    "call",
    "Calls another tool with the given arguments and answers its result.",
    _object({"tool": STRING, "args": {"type": "object"}}, ["tool", "args"]),
)
def call(args):
    return {"result": host.call_tool(args["tool"], args["args"])}


@plugin.tool("report", "Keeps a short Markdown report as an artifact.", _object({"title": STRING}, ["title"]))
def report(args):
    artifact = host.emit_artifact("report.md", "text/markdown", f"# {args['title']}\n\nMode: {host.current_mode()}\n")
    return {"artifact": artifact, "mode": host.current_mode()}


@plugin.tool("crash", "Raises an exception (the host reports a trap with its message).", _object({"message": STRING}, ["message"]))
def crash(args):
    raise RuntimeError(args["message"])


@plugin.tool("spin", "Loops forever (the host's timeout stops it).", _object({}, []))
def spin(args):
    while True:
        pass


@plugin.tool("hog", "Allocates without end (the host's memory limit stops it).", _object({}, []))
def hog(args):
    kept = []
    while True:
        kept.append(bytearray(1024 * 1024))


Tool = plugin.export()
