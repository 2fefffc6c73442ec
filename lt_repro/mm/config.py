"""Strict config overrides: a key that does not exist is an error that lists the close matches."""
from __future__ import annotations

import difflib
import inspect

from mmengine.config import Config


class ConfigKeyError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _close(key: str, options) -> str:
    near = difflib.get_close_matches(key, [str(o) for o in options], n=3, cutoff=0.5)
    if near:
        return f" Did you mean {', '.join(repr(n) for n in near)}?"
    return f" Valid keys: {sorted(map(str, options))}."


def apply_overrides(cfg: Config, overrides: dict, source: str = "the config") -> None:
    """Set dotted ``key=value`` pairs, refusing keys that the config does not already have."""
    for dotted, value in overrides.items():
        node = cfg
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            keys = list(node.keys()) if hasattr(node, "keys") else []
            if part not in keys:
                where = ".".join(parts[:depth]) or "the top level"
                raise ConfigKeyError(
                    f"{source}: no key '{dotted}' ('{part}' is not in {where}).{_close(part, keys)} "
                    f"Fix the key in the experiment grid or the --set option.")
            if depth < len(parts) - 1:
                node = node[part]
        node[parts[-1]] = value


def check_constructor_args(cfg: dict, registry, where: str) -> None:
    """Refuse arguments that the registered class's constructor does not take."""
    cls = registry.get(cfg["type"])
    if cls is None:
        raise ConfigKeyError(f"{where}: unknown type {cfg['type']!r}.{_close(cfg['type'], registry.module_dict)}")
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    for key in cfg:
        if key != "type" and key not in params:
            raise ConfigKeyError(
                f"{where}: {cfg['type']} has no argument '{key}'.{_close(key, [p for p in params if p != 'self'])}")
