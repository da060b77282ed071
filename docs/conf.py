"""Sphinx configuration of finpolicy's own documentation.

Build with ``python -m sphinx -n -W -b html docs docs/_build/html``; run the examples with
``-b doctest``. No network: intersphinx is off, so references to other projects' objects are
listed in ``nitpick_ignore_regex`` instead of linked.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# document the checkout's source, installed or not
sys.path.insert(0, str(ROOT / "src"))

import finpolicy  # noqa: E402

project = "finpolicy"
author = "finpolicy contributors"
copyright = "2026, finpolicy contributors"
release = version = finpolicy.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "finpolicy.sphinx",
]

exclude_patterns = ["_build"]
# responsive: a sidebar on wide screens, a menu button on phones; no fixed page width
html_theme = "furo"
html_theme_options = {"navigation_with_keys": True}
html_title = f"finpolicy {release}"

# Warnings are errors (-W) and every reference must resolve (-n).
nitpicky = True
# Without intersphinx, names from the standard library and dependencies cannot be linked.
nitpick_ignore_regex = [
    (r"py:.*", r"(datetime|dt|collections|typing|types|enum|pathlib|decimal|re|abc|os)(\..*)?"),
    (r"py:.*", r"(pydantic|attrs|attr|click|durable|holidays|rich|yaml)(\..*)?"),
    (r"py:.*", r"(cryptography|orjson|psycopg)(\..*)?"),
    (r"py:.*", r"Ed25519(Public|Private)Key"),  # (cryptography's, as annotations name them)
    (r"py:.*", r"(pa|pyarrow)(\..*)?"),  # the batch API's tables
    # the batch API's names as its annotations spell them (documented under "Whole tables")
    (r"py:.*", r"(SetAside|Progress)"),
    (r"py:.*", r"(Any|Mapping|Sequence|Iterable|Iterator|Callable|Path|Self|TypeAlias)"),
    (r"py:.*", r"(str|int|float|bool|bytes|object|list|dict|tuple|set|frozenset|None|type)"),
    (r"py:.*", r"(ValueError|LookupError|RuntimeError|Exception|KeyError|TypeError)"),
    (r"py:.*", r"(BaseModel|ConfigDict|FieldInfo|ComputedFieldInfo)"),
    # hypothesis types and type variables of generic classes
    (r"py:.*", r"(SearchStrategy|Case|ConditionParser|hypothesis\..*)"),
    (r"py:.*", r"finpolicy\.[a-z.]+\.(S|P|R|T|M)"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
# only for documented parameters: pydantic models would otherwise list their Annotated metadata
autodoc_typehints_description_target = "documented_params"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "exclude-members": "model_config"}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

doctest_global_setup = """
import datetime as dt
import finpolicy as fp
from finpolicy.rules.render import render
bundle = fp.load_bundle()
engine = fp.PolicyEngine(bundle)
"""

# The docs render the checkout's packs (relative to this folder).
finpolicy_bundle = str(ROOT / "policies" / "cn-banking")
