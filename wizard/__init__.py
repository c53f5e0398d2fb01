"""quilt-wizard's core: template evaluation, grants, diffs, answers and output.

Nothing in this package imports Textual or the ``screens`` package; the Textual face,
the line prompts and the headless run all read the same objects computed here.
"""

__version__ = "0.1.0"
