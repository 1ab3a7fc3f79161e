"""Every use of a library's private attributes, one module per library.

Each module names what it touches and why; ``pyproject.toml`` pins the version range it was
written for, and ``tests/test_compat.py`` fails naming the module to update when an upgrade
moves any of it.
"""
