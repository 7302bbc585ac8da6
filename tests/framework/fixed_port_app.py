"""An application on a fixed callback port (as the shop runs): ``python -m
tests.framework.fixed_port_app ENDPOINT APP_ID SECRET_FILE KEY_FILE`` with MICROPAY_CLIENT_PORT
set. It completes the framework handshake, prints ``connected`` and stays until killed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from client.session import connect

endpoint, app_id, secret_file, key_file = sys.argv[1:5]
try:
    session = connect(endpoint, app_id, Path(secret_file).read_bytes(), Path(key_file))
except Exception as exc:  # the test reads why
    print(f"failed {type(exc).__name__} {exc}", flush=True)
    sys.exit(1)
print("connected", flush=True)
while True:
    time.sleep(60)
