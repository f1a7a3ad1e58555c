"""The framework layer every app may use; it imports no project app (tests/test_architecture.py).

The scoping rule (``core.scoping``, ``core.fields``, ``core.mixins``, ``core.admin``), task dispatch
that fails fast (``core.tasks``), the registry of advisory-lock names (``core.locks``) and the reaper
of interrupted work (``core.reaper``), to which the apps register their steps."""
