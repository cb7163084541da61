"""MkDocs hooks: make ``docs/examples`` importable by live blocks and quiet TensorFlow."""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).parent


def on_startup(command: str, dirty: bool) -> None:  # noqa: ARG001, FBT001
    """Run once when MkDocs starts, before any page's live blocks."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))
