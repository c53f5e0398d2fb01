"""The Textual face of quilt-wizard: the app, its screens grouped by feature (``questions``,
``review``, ``aws``), dialogs and widgets.

A screen reads from and writes to the core's objects (the run is ``wizard.flow.session``, the
same session the line prompts use; ``wizard.iam``, ``wizard.findings``, ``wizard.aws``) and holds
no domain rule of its own; slow work runs in workers. Nothing in ``wizard`` imports this
package, and a screen never imports ``screens.app`` (the app imports the screens; they see it
through ``screens.navigation``).
"""
