from __future__ import annotations

import typer

from anonymiser.cli.common import handles_errors
from anonymiser.mask.keys import KEY_ENV, generate_key

NAME = "keygen"
HELP = f"""Print a new random masking key for {KEY_ENV}.

Store it in your secret manager and export it before every run; the same key gives the same
pseudonyms month after month. anonymiser never writes the key anywhere: outputs record only its id.

Example:  export {KEY_ENV}=$(anonymiser keygen)
"""


@handles_errors
def command() -> None:
    typer.echo(generate_key())
