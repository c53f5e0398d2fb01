"""Command palette entries (ctrl+p): save or load a profile, change the baseline, show all grants,
write the security report."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

COMMANDS = (
    ("Save answers as profile", "Save the answers in force as a reusable profile (secrets are never saved)",
     "save_profile", True),
    ("Load profile", "Start again from a deployment mode or a saved profile", "load_profile", True),
    ("Change baseline", "Choose what the permission diff compares against", "change_baseline", True),
    ("Show full grants", "Every IAM grant and network opening of the answers in force", "show_grants", True),
    ("Write security report", "The security documentation package (Markdown and HTML) of the answers in force",
     "write_report", True),
    ("Toggle light/dark theme", "Switch between the light and the dark theme", "toggle_theme", False),
)
"""(name, help, app action, needs a run in progress)."""


class WizardCommands(Provider):
    """The wizard's own commands."""

    def _available(self):
        started = getattr(self.app, "session", None) is not None
        for name, help_text, action, needs_run in COMMANDS:
            if started or not needs_run:
                yield name, help_text, partial(self.app.run_action, action)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._available():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._available():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
