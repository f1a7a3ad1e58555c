"""Framework pieces shared by the apps: task dispatch that fails fast (``core.tasks``), the reaper of
interrupted runs and batches (``core.reaper``) and its schedule."""
