"""The run's questions: the start screen (template, target, mode), one screen a catalog question
with its live panel, and the form of the template parameters no question covers.

They never import ``screens.app`` (they see the app through ``screens.navigation``)."""
