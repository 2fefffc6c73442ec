"""mmengine imports ``<scope>.registry`` for a config's ``default_scope``; lt_repro's registries live in
:mod:`lt_repro.mm.registry`."""
from lt_repro.mm.registry import *  # noqa: F401,F403
