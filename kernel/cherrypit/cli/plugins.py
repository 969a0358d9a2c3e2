"""``cherrypit plugins``: the table of installed plugins and whether each is enabled."""

from __future__ import annotations

import argparse

from cherrypit._kernel import pluginmanager, site
from cherrypit._kernel.errors import ConfigError
from cherrypit.cli._common import error

__all__ = ["cmd_plugins"]


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def cmd_plugins(args: argparse.Namespace) -> int:
    """Print the plugin table (after applying ``--config`` files); returns the exit status.

    A plugin that cannot be used is listed as ``broken`` and explained below the
    table; the status is then 1.
    """
    try:
        for path in args.config:
            site.config.update(path)
        infos = pluginmanager.plugin_infos(tolerate_broken=True)
    except ConfigError as exc:
        error(str(exc))
        return 1
    if not infos:
        print("no plugins installed")
        return 0
    rows: list[tuple[str, ...]] = [("NAME", "DISTRIBUTION", "VERSION", "ENABLED")]
    rows += [(i.name, i.distribution, i.version, _state(i)) for i in infos]
    for line in _table(rows):
        print(line)
    broken = [i for i in infos if i.error]
    for info in broken:
        error(f"{info.error} (disable it with plugins.disable = [{info.name!r}])")
    return 1 if broken else 0


def _state(info: pluginmanager.PluginInfo) -> str:
    if info.error:
        return "broken"
    return "yes" if info.enabled else "no"
