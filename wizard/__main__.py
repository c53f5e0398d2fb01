"""``python -m wizard``: the same as the ``quilt-wizard`` command (Ctrl-C while it starts
exits 130 with one line, like Ctrl-C later)."""

import sys

if __name__ == "__main__":
    try:
        from wizard.cli import main

        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("quilt-wizard: interrupted; nothing was written\n")
        code = 130
    raise SystemExit(code)
