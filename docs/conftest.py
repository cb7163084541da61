"""Doctests of docs/: the example modules import each other as ``examples.*``, as at build time."""

import sys
from pathlib import Path

DOCS = str(Path(__file__).parent)
if DOCS not in sys.path:
    sys.path.insert(0, DOCS)
