"""``micropay framework public-key``: the framework's signing public key, for applications;
``micropay framework master-key rotate|retire``: the master key that seals CHAP secrets.

Applications verify the framework's agreement and termination signatures with the public key.
The key pair is created on first use in the data folder (private key file mode 0600).

``master-key rotate`` puts a new key first in the master key file and seals every secret
again under it, in one transaction; the older keys stay (they open backups). Copy the file to
every gateway of the database (a gateway reads it again when it meets the new key).
``master-key retire`` drops the keys no stored secret needs any more.
"""

from __future__ import annotations

import argparse
from typing import Any

from framework.core.keys import keys_for
from framework.core.sealing import key_id
from framework.core.signing import SigningAlgorithm
from gateway import framework_store
from gateway.cli.output import CommandError
from gateway.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("framework", help="the OSA framework's own settings and keys")
    fw_sub = p.add_subparsers(dest="framework_command", required=True, metavar="ACTION")
    key = fw_sub.add_parser("public-key", help="print the framework's signing public key (PEM)")
    key.add_argument(
        "--algorithm",
        default=SigningAlgorithm.P_SHA256_RSA_2048.value,
        help="the signing algorithm whose key to print (default P_SHA256_RSA_2048)",
    )
    key.set_defaults(handler=public_key)
    master = fw_sub.add_parser("master-key", help="the key that seals CHAP secrets at rest")
    master_sub = master.add_subparsers(dest="master_command", required=True, metavar="ACTION")
    master_sub.add_parser("rotate", help="a new master key; seal every secret again").set_defaults(
        handler=rotate_master_key
    )
    master_sub.add_parser("retire", help="drop master keys no secret needs").set_defaults(
        handler=retire_master_key
    )


def public_key(args: argparse.Namespace, config: Config) -> Any:
    keys = keys_for(config.ensure_data_dir(), config["framework"]["signing_algorithms"])
    if args.json:
        return {algorithm: keys.public_pem(algorithm) for algorithm in keys.available()}
    if args.algorithm not in keys.available():
        raise CommandError(
            f"no framework key for {args.algorithm}; available: {', '.join(keys.available())}"
        )
    return keys.public_pem(args.algorithm).rstrip("\n")


def rotate_master_key(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    store = framework_store.open_store(config)
    rotated = store.keyring.with_new_key()
    rotated.save()  # first: a crash after it leaves secrets the old key (still held) opens
    count = store.reseal_secrets(rotated)
    return {"master_key": rotated.current_id, "secrets_sealed": count, "keys": len(rotated.keys)}


def retire_master_key(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    store = framework_store.open_store(config)
    needed = store.sealing_key_ids() | {store.keyring.current_id}
    unused = {key_id(k) for k in store.keyring.keys} - needed
    store.keyring.without(unused).save()
    return {"master_key": store.keyring.current_id, "retired": sorted(unused)}
