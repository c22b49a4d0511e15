"""model_signing's Python API, for what its CLI cannot do (shard serialization).

    model_signing_api.py sign-shards  MODEL SIGNATURE PRIVATE_KEY SHARD_SIZE
    model_signing_api.py verify-guess MODEL SIGNATURE PUBLIC_KEY

verify-guess lets model_signing read the serialization (files or shards) from the signature,
as its library does when no hashing config is set; it exits non-zero when verification fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

from model_signing import hashing, signing, verifying


def main() -> None:
    command, model, signature, key = sys.argv[1:5]
    if command == "sign-shards":
        shard_size = int(sys.argv[5])
        config = signing.Config().use_elliptic_key_signer(private_key=Path(key))
        config.set_hashing_config(
            hashing.Config().use_shard_serialization(shard_size=shard_size).set_ignored_paths(paths=[Path(signature)])
        )
        config.sign(Path(model), Path(signature))
    elif command == "verify-guess":
        verifying.Config().use_elliptic_key_verifier(public_key=Path(key)).verify(Path(model), Path(signature))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
