"""``python -m cnnexplain PATH``: the same as the ``cnnexplain`` command."""

from cnnexplain._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
