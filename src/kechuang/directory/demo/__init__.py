"""Deterministic synthetic demo data for a district: enterprises, providers, incubators and people
(``generator``), the demo accounts (``accounts``), and the hook other modules use to add their own
demo objects (``register_demo_generator``, see ``registry``).

Importing this package loads no models, so an AppConfig.ready() may import it.
"""

from .registry import DemoGenerator, register_demo_generator, registered_generators, unregister_demo_generator

__all__ = ["DemoGenerator", "register_demo_generator", "registered_generators", "unregister_demo_generator"]
