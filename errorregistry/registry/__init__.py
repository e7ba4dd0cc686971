"""Registry: the codes, where they are declared, the in-process store, and how rows move.

- ``declarations``: ``Declaration``, the built-in codes and the one list of a code's fields;
- ``store``: ``Entry`` and the process-wide ``registry`` read on every error response;
- ``sync`` / ``transfer``: the two ways rows are written (seed from code, import a file),
  through one writer and one diff;
- ``forms``, ``preview``, ``coverage``, ``history``: what the code's admin page shows.
"""

from errorregistry.registry.store import Entry, registry

__all__ = ["Entry", "registry"]
