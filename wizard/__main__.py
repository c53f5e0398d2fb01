"""``python -m wizard``: the same as the ``quilt-wizard`` command."""

from wizard.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
