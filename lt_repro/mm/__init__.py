"""The only package that imports mmengine/mmdet: compatibility fixes, registration, hooks."""
from . import compat

compat.apply()

from . import classification, device_data, hooks, registry, runner, samplers, schedulers  # noqa: E402,F401  (registers on import)
