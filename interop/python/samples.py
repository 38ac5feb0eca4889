"""Signed samples from the provider's own code, for the JOSE libraries we did not write.

`provider/examples/*_samples.rs` print JSON: tokens signed with the provider's keys and the
JWK Set that publishes those keys. A suite reads them from the file its environment
variable names (interop/run.sh builds them once for every suite), or runs the example.
"""

import json
import os
import pathlib
import subprocess

from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

WORKSPACE = pathlib.Path(__file__).resolve().parents[2]

# joserfc lists EdDSA as deprecated (RFC 9864 names Ed25519) and leaves it out of its
# recommended set: allow exactly the algorithms the provider signs with.
REGISTRY = JWSRegistry(algorithms=["RS256", "ES256", "EdDSA"])


def load_samples(environment_variable, example):
    """The samples in the file `environment_variable` names, else `example`'s output."""
    path = os.environ.get(environment_variable)
    if path:
        return json.loads(pathlib.Path(path).read_text())
    output = subprocess.run(
        ["cargo", "run", "-q", "-p", "provider", "--example", example],
        cwd=WORKSPACE,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def published_keys(samples):
    """The JWK Set the samples came with, as joserfc keys."""
    return KeySet.import_key_set(samples["jwks"])
