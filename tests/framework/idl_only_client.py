"""A third-party application built from the IDL files alone (no micropay code at all).

Run by test_idl_only_client.py as ``python -I -S idl_only_client.py STUBS SITE ENDPOINT APP_ID
SECRET_FILE KEY_FILE FW_KEY_FILE``: STUBS holds stubs compiled by omniidl from idl/*.idl only,
SITE is the site-packages folder (omniORB, cryptography) added without its .pth files, so neither
the repository nor its build/ folder is importable. CHAP and signing are written out here from
DESIGN §5, as a third party would.
"""

import hashlib
import hmac
import importlib.util
import os
import struct
import sys
import threading

STUBS, SITE, ENDPOINT, APP_ID, SECRET_FILE, KEY_FILE, FW_KEY_FILE = sys.argv[1:8]
sys.path[:] = [STUBS, *[p for p in sys.path if "site-packages" not in p], SITE]
for forbidden in ("framework", "client", "gateway", "tests"):
    assert importlib.util.find_spec(forbidden) is None, forbidden

import org.csapi.fw as fw  # noqa: E402
import org__POA.csapi.fw.fw_access.trust_and_security as ts_POA  # noqa: E402
import org__POA.csapi.fw.fw_application.service_agreement as sa_POA  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from omniORB import CORBA  # noqa: E402
from org.csapi.fw.fw_access import trust_and_security as ts  # noqa: E402
from org.csapi.fw.fw_application import discovery, service_agreement  # noqa: E402

assert fw.__file__.startswith(STUBS), fw.__file__


def read(path):
    with open(path, "rb") as fh:
        return fh.read()


SECRET = read(SECRET_FILE)
KEY = serialization.load_pem_private_key(read(KEY_FILE), password=None)
FW_KEY = serialization.load_pem_public_key(read(FW_KEY_FILE))
MECHANISM = "P_OSA_HMAC_SHA256"


def digest(direction, identifier, value):
    """P_OSA_HMAC_SHA256 as docs/framework.md defines it: bound to the direction and both ids."""
    label = b"P_OSA_HMAC_SHA256" + bytes([direction])
    for name in (b"micropay", APP_ID.encode()):
        label += struct.pack(">H", len(name)) + name
    return hmac.new(SECRET, label + bytes([identifier]) + value, hashlib.sha256).digest()


def chap_response(packet):
    identifier, size = packet[1], packet[4]
    value = digest(1, identifier, packet[5 : 5 + size])
    return struct.pack(">BBHB", 2, identifier, 5 + len(value), len(value)) + value


def sign(text):
    return KEY.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())


class Auth(ts_POA.IpClientAPILevelAuthentication):
    def __init__(self):
        self.done = threading.Event()
        self.ok = False

    def challenge(self, challenge):
        return list(chap_response(bytes(challenge)))

    def authenticate(self, challenge):
        return []

    def authenticationSucceeded(self):
        self.ok = True
        self.done.set()

    def abortAuthentication(self):
        self.done.set()


class Access(ts_POA.IpClientAccess):
    def terminateAccess(self, text, algorithm, signature):
        pass


class SAM(sa_POA.IpAppServiceAgreementManagement):
    def __init__(self):
        self.signed = threading.Event()
        self.text = ""

    def signServiceAgreement(self, token, text, algorithm):
        assert algorithm == "P_SHA256_RSA_2048" and token in text
        self.text = text
        self.signed.set()
        return list(sign(text))

    def terminateServiceAgreement(self, token, text, signature):
        pass


orb = CORBA.ORB_init(["idl-only", "-ORBendPoint", "giop:tcp:127.0.0.1:"], CORBA.ORB_ID)
poa = orb.resolve_initial_references("RootPOA")
poa._get_the_POAManager().activate()
auth, access_cb, sam_cb = Auth(), Access(), SAM()
initial = orb.string_to_object(ENDPOINT)._narrow(ts.IpInitial)
domain = fw.TpAuthDomain(fw.TpDomainID(ClientAppID=APP_ID), auth._this())
answer = initial.initiateAuthenticationWithVersion(domain, "P_OSA_AUTHENTICATION", "P_PARLAY_4")
assert answer.DomainID._d == fw.P_FW
fw_auth = answer.AuthInterface._narrow(ts.IpAPILevelAuthentication)
assert fw_auth.selectAuthenticationMechanism(MECHANISM) == MECHANISM
value = os.urandom(16)
response = bytes(fw_auth.challenge(list(struct.pack(">BBHB", 1, 42, 21, 16) + value)))
assert response[0] == 2 and response[1] == 42
assert hmac.compare_digest(response[5 : 5 + response[4]], digest(2, 42, value)), "framework failed"
fw_auth.authenticationSucceeded()
assert auth.done.wait(10) and auth.ok, "the framework did not accept us"
access = fw_auth.requestAccess("P_OSA_ACCESS", access_cb._this())._narrow(ts.IpAccess)
assert access.selectSigningAlgorithm("P_SHA256_RSA_2048") == "P_SHA256_RSA_2048"
disco = access.obtainInterface("P_DISCOVERY")._narrow(discovery.IpServiceDiscovery)
sam = access.obtainInterfaceWithCallback("P_SERVICE_AGREEMENT_MANAGEMENT", sam_cb._this())
sam = sam._narrow(service_agreement.IpServiceAgreementManagement)
wanted = [fw.TpServiceProperty("P_TEST_FLAVOUR", ["signed"])]
[service] = disco.discoverService("P_TEST", wanted, 5)
token = sam.selectService(service.ServiceID)
sam.initiateSignServiceAgreement(token)
assert sam_cb.signed.wait(10)
result = sam.signServiceAgreement(token, sam_cb.text, "P_SHA256_RSA_2048")
FW_KEY.verify(
    bytes(result.DigitalSignature), sam_cb.text.encode(), padding.PKCS1v15(), hashes.SHA256()
)
manager = result.ServiceMgrInterface
manager.setCallbackWithSessionID(access_cb._this(), 99)
text = f"application: {APP_ID}\nterminates: service token {token}\nnonce: {os.urandom(8).hex()}"
sam.terminateServiceAgreement(token, text, list(sign(text)))
try:
    manager.setCallback(access_cb._this())
    raise AssertionError("the manager survived its agreement")
except CORBA.OBJECT_NOT_EXIST:
    pass
text = f"application: {APP_ID}\nterminates: access\nnonce: {os.urandom(8).hex()}"
access.terminateAccess(text, list(sign(text)))
print("OK", service.ServiceID)
orb.destroy()
