"""Imports point one way: no package imports one from a higher layer (README, "Architecture").

The app modules are parsed with ``ast`` (nothing is imported), and every ``import`` counts,
whether at module level or inside a function: an import moved into a function to dodge a cycle
still points the wrong way.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import its own layer and the ones below it.
LAYERS: list[tuple[str, set[str]]] = [
    ("infrastructure", {"whatsapp"}),
    ("accounts", {"accounts"}),
    ("messaging core", {"attachments", "messaging"}),
    ("chats", {"chats"}),
    ("groups", {"groups"}),
    ("features", {"communities", "stories", "calls"}),
    ("account data", {"account_data"}),
    ("moderation", {"moderation"}),
    ("project wiring", set()),
]
# The modules of the project package that wire the apps together rather than serve them: no
# app imports these, and they may import any app. ws_auth authenticates sockets against
# accounts' tokens for the ASGI application (asgi, consumers) and nothing else.
WIRING = {
    "whatsapp.settings",
    "whatsapp.urls",
    "whatsapp.asgi",
    "whatsapp.wsgi",
    "whatsapp.consumers",
    "whatsapp.ws_auth",
}
PACKAGES = sorted(set().union(*(packages for _, packages in LAYERS)))

# (importing module or package, imported module): why it is still there. Remove a line when
# its import goes; test_every_known_exception_still_happens fails until you do.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("chats.selectors", "groups.models"): (
        "the inbox lists 1:1 chats and groups together; belongs in a module above both"
    ),
    ("chats.frames", "groups.services"): (
        "typing frames serve 1:1 chats and groups from one handler; owned by the frames rewrite"
    ),
    ("attachments", "chats.models"): (
        "Multimedia stays in chats.models: its table is the seed schema's"
    ),
    ("attachments.selectors", "groups.models"): (
        "a download is visible when its group message is: should ask groups' selectors, "
        "registered from above"
    ),
    ("attachments.selectors", "communities.models"): (
        "a download is visible when its announcement is: should ask communities' selectors, "
        "registered from above"
    ),
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    path: str
    line: int
    in_function: bool


def layer_of(module: str) -> int | None:
    """The layer's index, or None for modules outside the project (Django, DRF, ...)."""
    if any(within(module, wiring) for wiring in WIRING):
        return len(LAYERS) - 1
    top = module.split(".")[0]
    for index, (_, packages) in enumerate(LAYERS):
        if top in packages:
            return index
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_exempt(path: Path, node: ast.AST, parents: dict) -> bool:
    """Migrations, and an AppConfig's ``ready()`` (which registers its own app's frames)."""
    if "migrations" in path.parts:
        return True
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef) and node.name == "ready":
            return path.name == "apps.py"
    return False


def imports() -> list[Import]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            importer = module_name(path)
            tree = ast.parse(path.read_text(), filename=str(path))
            parents = {
                child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
            }
            functions = (ast.FunctionDef, ast.AsyncFunctionDef)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    # `from whatsapp import consumers` imports whatsapp.consumers.
                    names = [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                if is_exempt(path, node, parents):
                    continue
                in_function = False
                parent = node
                while parent in parents:
                    parent = parents[parent]
                    in_function = in_function or isinstance(parent, functions)
                for name in names:
                    found.append(
                        Import(
                            importer,
                            name,
                            str(path.relative_to(ROOT)),
                            node.lineno,
                            in_function,
                        )
                    )
    return found


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(f"{prefix}.")


def known_exception(item: Import) -> tuple[str, str] | None:
    for importer, imported in KNOWN_EXCEPTIONS:
        if within(item.importer, importer) and within(item.imported, imported):
            return importer, imported
    return None


def upward(item: Import) -> bool:
    mine, theirs = layer_of(item.importer), layer_of(item.imported)
    if mine is None or theirs is None or theirs <= mine:
        return False
    # The admin is a leaf that Django loads once every app is ready, and nothing imports it:
    # an app's admin may act through moderation (audited), whatever the app's own layer.
    return not item.importer.endswith(".admin")


@pytest.fixture(scope="module")
def all_imports() -> list[Import]:
    return imports()


def test_the_layers_cover_every_project_package():
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench"}
    }

    assert packages <= set(PACKAGES)


def test_no_module_imports_a_higher_layer(all_imports):
    wrong = [
        f"{item.path}:{item.line}: {item.importer} ({LAYERS[layer_of(item.importer)][0]}) "
        f"imports {item.imported} ({LAYERS[layer_of(item.imported)][0]})"
        + (" inside a function" if item.in_function else "")
        for item in all_imports
        if upward(item) and known_exception(item) is None
    ]

    assert wrong == [], "\n".join(wrong)


def test_no_module_imports_an_admin_module(all_imports):
    wrong = [
        f"{item.path}:{item.line}: {item.imported}"
        for item in all_imports
        if item.imported.endswith(".admin")
        and layer_of(item.imported) is not None
        and not item.importer.endswith(".admin")
    ]

    assert wrong == [], "\n".join(wrong)


def test_every_known_exception_still_happens(all_imports):
    used = {known_exception(item) for item in all_imports if upward(item)}

    assert set(KNOWN_EXCEPTIONS) - used == set(), "remove these from KNOWN_EXCEPTIONS"


def test_no_module_imports_the_project_inside_a_function(all_imports):
    """An import inside a function is how a cycle is dodged: the direction is wrong instead."""
    wrong = [
        f"{item.path}:{item.line}: {item.importer} imports {item.imported}"
        for item in all_imports
        if item.in_function and layer_of(item.imported) is not None and not known_exception(item)
    ]

    assert wrong == [], "\n".join(wrong)
