"""``python -m wizard``: the same as the ``quilt-wizard`` command (Ctrl-C while it starts
exits 130 with one line, like Ctrl-C later)."""

import signal
import sys

if __name__ == "__main__":
    _received: list = []
    _previous = signal.signal(signal.SIGINT, lambda signum, frame: _received.append(signum))
    try:
        from wizard.cli import main
    finally:
        signal.signal(signal.SIGINT, _previous)
    if _received:
        sys.stderr.write("quilt-wizard: interrupted; nothing was written\n")
        raise SystemExit(130)
    raise SystemExit(main())
