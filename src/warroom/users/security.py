import hashlib
import secrets

TOKEN_PREFIX = "wr_"  # noqa: S105 (a visible prefix, not a secret)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough: there is nothing
    # to brute-force that a slow KDF would protect.
    return hashlib.sha256(token.encode()).hexdigest()
