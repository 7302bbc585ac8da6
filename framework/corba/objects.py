"""Object tables: POAs whose object ids are unguessable and whose objects die with their lease.

Each table is a POA with USER_ID, NON_RETAIN and a servant locator: the POA keeps no active
object map; every request looks its random object id (``limits.object_key_bytes``, 160 bits from
``secrets``) up in a dict and is refused with OBJECT_NOT_EXIST when the id is unknown (guessed)
or its lease was revoked (session ended, agreement terminated, application disabled).
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

import PortableServer__POA
from omniORB import CORBA, PortableServer

from framework.core import limits
from framework.core.lease import Lease


class _Locator(PortableServer__POA.ServantLocator):
    def __init__(self, table: ObjectTable) -> None:
        self.table = table

    def preinvoke(self, oid: bytes, adapter: Any, operation: str) -> tuple[Any, None]:
        entry = self.table._entries.get(oid)
        if entry is None or not entry[1].alive:
            raise CORBA.OBJECT_NOT_EXIST(0, CORBA.COMPLETED_NO)
        return entry[0], None

    def postinvoke(
        self, oid: bytes, adapter: Any, operation: str, cookie: Any, servant: Any
    ) -> None:
        return None


class ObjectTable:
    def __init__(self, root_poa: Any, name: str) -> None:
        policies = [
            root_poa.create_id_assignment_policy(PortableServer.USER_ID),
            root_poa.create_servant_retention_policy(PortableServer.NON_RETAIN),
            root_poa.create_request_processing_policy(PortableServer.USE_SERVANT_MANAGER),
            root_poa.create_lifespan_policy(PortableServer.TRANSIENT),
        ]
        self.poa = root_poa.create_POA(name, root_poa._get_the_POAManager(), policies)
        self._locator = _Locator(self)
        self.poa.set_servant_manager(self._locator._this())
        self._entries: dict[bytes, tuple[Any, Lease]] = {}
        self._lock = threading.Lock()

    def activate(self, servant: Any, lease: Lease) -> Any:
        """A reference to ``servant`` that works while ``lease`` lives."""
        oid = secrets.token_bytes(limits.object_key_bytes)
        with self._lock:
            self._entries[oid] = (servant, lease)
        lease.on_revoke(lambda: self._drop(oid))
        return self.poa.create_reference_with_id(oid, servant._NP_RepositoryId)

    def _drop(self, oid: bytes) -> None:
        with self._lock:
            self._entries.pop(oid, None)

    def __len__(self) -> int:
        return len(self._entries)

    def destroy(self) -> None:
        with self._lock:
            self._entries.clear()
        self.poa.destroy(False, False)
