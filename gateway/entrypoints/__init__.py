"""Entry points: the server (`python -m gateway`), the Lambda handler, and the reconcile job's
CLI and scheduled Lambda handler. Each loads the settings, opens the stores and hands them to
the app or the job; none holds logic of its own."""
