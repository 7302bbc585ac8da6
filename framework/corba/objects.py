"""Object tables: POAs whose object ids are unguessable and whose objects die with their lease.

Each table is a POA with USER_ID and MULTIPLE_ID: an object is activated under a random id
(``limits.object_key_bytes``, 160 bits from ``secrets``) and deactivated by its lease's revoke hook
(session ended, agreement terminated, application disabled), so a guessed or revoked id is
refused with OBJECT_NOT_EXIST by omniORB's own object map. (A servant locator did the same
lookup in Python, at the price of two more trips into the interpreter -- and two more waits for
its lock -- on every request: a trivial call ran at half the rate.)
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from omniORB import PortableServer

from framework.core import limits
from framework.core.lease import Lease


class ObjectTable:
    def __init__(self, root_poa: Any, name: str) -> None:
        policies = [
            root_poa.create_id_assignment_policy(PortableServer.USER_ID),
            root_poa.create_id_uniqueness_policy(PortableServer.MULTIPLE_ID),
            root_poa.create_lifespan_policy(PortableServer.TRANSIENT),
        ]
        self.poa = root_poa.create_POA(name, root_poa._get_the_POAManager(), policies)
        self._active: set[bytes] = set()
        self._lock = threading.Lock()

    def activate(self, servant: Any, lease: Lease) -> Any:
        """A reference to ``servant`` that works while ``lease`` lives."""
        oid = secrets.token_bytes(limits.object_key_bytes)
        with self._lock:
            self._active.add(oid)
            self.poa.activate_object_with_id(oid, servant)
        lease.on_revoke(lambda: self._drop(oid))  # at once if the lease is already revoked
        return self.poa.create_reference_with_id(oid, servant._NP_RepositoryId)

    def _drop(self, oid: bytes) -> None:
        with self._lock:
            if oid not in self._active:
                return
            self._active.discard(oid)
            self.poa.deactivate_object(oid)

    def __len__(self) -> int:
        return len(self._active)

    def destroy(self) -> None:
        with self._lock:
            self._active.clear()
        self.poa.destroy(False, False)
