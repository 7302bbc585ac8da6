"""``micropay framework public-key``: the framework's signing public key, for applications.

Applications verify the framework's agreement and termination signatures with it. The key
pair is created on first use in the data folder (private key file mode 0600).
"""

from __future__ import annotations

import argparse
from typing import Any

from framework.core.keys import keys_for
from framework.core.signing import SigningAlgorithm
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


def public_key(args: argparse.Namespace, config: Config) -> Any:
    keys = keys_for(config.ensure_data_dir(), config["framework"]["signing_algorithms"])
    if args.json:
        return {algorithm: keys.public_pem(algorithm) for algorithm in keys.available()}
    if args.algorithm not in keys.available():
        raise CommandError(
            f"no framework key for {args.algorithm}; available: {', '.join(keys.available())}"
        )
    return keys.public_pem(args.algorithm).rstrip("\n")
