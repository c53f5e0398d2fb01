"""The optional AWS steps after the file is written: the preflight, the change set, the fleet's
stack set, each a screen on ``AwsScreen``; and the session's AWS calls (``DeploySession``, the
core's session with what the core's flow layer may not reach).

They never import ``screens.app`` (they see the app through ``screens.navigation``)."""
