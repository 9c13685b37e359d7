"""A Python plugin that raises while its module is imported. componentize-py imports the module at build time
(it snapshots the initialised interpreter), so this never becomes a component: the build fails with the
exception, its file and its line. It sits under `hostile/unbuildable/`, which `cargo xtask plugins` does not
build; the test builds it and checks the failure."""

from drydock_plugin import Plugin

plugin = Plugin("hostile_py_import_throws")


@plugin.tool("never", "Never offered.", {"type": "object"})
def never(args):
    return {}


Tool = plugin.export()

raise RuntimeError("the module is broken on purpose at import")
