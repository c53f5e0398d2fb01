"""Before and at the end of the run: the review of the answers, the grants browser and the
write screen.

They never import ``screens.app`` (they see the app through ``screens.navigation``)."""
