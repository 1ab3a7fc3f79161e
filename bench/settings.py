"""The production settings plus one bench-only URL (``/bench/trivial/``, the Django baseline).

Everything else is ``whatsapp.settings`` as read from the environment, unchanged.
"""

from whatsapp.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
