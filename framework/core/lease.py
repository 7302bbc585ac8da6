"""Leases: revocable rights that end together (application → access session → agreement).

Every object the framework hands out (IpAccess, discovery, agreement management, each SCF
manager) is held under a lease; revoking a lease revokes its children first and then runs its
hooks, which drop the objects, so a revoked reference answers OBJECT_NOT_EXIST at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Lease:
    def __init__(self, name: str, parent: Lease | None = None) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._revoked = False
        self._hooks: list[Callable[[], object]] = []
        self._children: set[Lease] = set()
        self._parent = parent
        if parent is not None and not parent._adopt(self):
            self._revoked = True

    @property
    def alive(self) -> bool:
        return not self._revoked

    def child(self, name: str) -> Lease:
        return Lease(name, self)

    def _adopt(self, child: Lease) -> bool:
        with self._lock:
            if self._revoked:
                return False
            self._children.add(child)
            return True

    def on_revoke(self, hook: Callable[[], object]) -> None:
        """Run ``hook`` when the lease is revoked (at once if it already is)."""
        with self._lock:
            if not self._revoked:
                self._hooks.append(hook)
                return
        hook()

    def revoke(self) -> bool:
        """Revoke once; True for the call that did it."""
        with self._lock:
            if self._revoked:
                return False
            self._revoked = True
            children, self._children = self._children, set()
            hooks, self._hooks = self._hooks, []
        for child in children:
            child.revoke()
        for hook in hooks:
            hook()
        parent = self._parent
        if parent is not None:
            with parent._lock:
                parent._children.discard(self)
            self._parent = None
        return True
