"""The Textual face of quilt-wizard: the app, one module a screen, dialogs and widgets.

A screen reads from and writes to the core's objects (``wizard.flow``, ``wizard.iam``,
``wizard.findings``, ``wizard.aws``) and holds no domain rule of its own; slow work runs in
workers. Nothing in ``wizard`` imports this package, and a screen never imports ``screens.app``
(the app imports the screens; they see it through ``screens.navigation``).
"""
