from __future__ import annotations

import typer

from anonymiser.cli.common import handles_errors, output
from anonymiser.mask.keys import KEY_ENV, generate_key

NAME = "keygen"
HELP = f"""Print a new random masking key for {KEY_ENV}.

Format: 43 characters of URL-safe base64 (A-Z a-z 0-9 - _) encoding 32 random bytes.
Also accepted in ANONYMISER_KEY: standard base64 or hex of at least 16 random bytes (openssl rand
-base64 32, openssl rand -hex 32). Keys with less than 128 bits of estimated entropy, readable text
or characters outside those alphabets are refused.

Store it in your secret manager and export it before every run; the same key gives the same
pseudonyms month after month. anonymiser never writes the key anywhere: outputs record only its id.

Example:  export {KEY_ENV}=$(anonymiser keygen)
"""


@handles_errors
def command() -> None:
    key = generate_key()
    if output().json:
        output().result({"event": "key_generated", "key": key})
    else:
        typer.echo(key)
