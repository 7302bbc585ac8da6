"""The library a third-party Python application uses to reach micropay.

``connect(endpoint, app_id, secret, private_key)`` runs the OSA/Parlay framework handshake over
CORBA and returns a :class:`FrameworkSession`; ``session.obtain_service("P_PAYMENT")`` returns
the SCF manager; errors are the typed ``client.errors`` classes.
"""

from client.session import FrameworkSession, ServiceAgreement, connect

__all__ = ["FrameworkSession", "ServiceAgreement", "connect"]
