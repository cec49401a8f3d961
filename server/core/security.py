"""Password hashing (argon2), access tokens (JWT), opaque tokens and secret encryption."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_hasher = PasswordHasher()
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str | None, min_length: int) -> str | None:
    """Why a password is too weak, in words, or None when it is fine."""
    if len(password) < min_length:
        return f"The password must be at least {min_length} characters long."
    if email and password.lower() == email.lower():
        return "The password must not be your email address."
    # zxcvbn ships its own dictionaries of common passwords, names and words: no list to maintain or download.
    from zxcvbn import zxcvbn

    result = zxcvbn(password, user_inputs=[email] if email else [])
    if result["score"] < 2:
        warning = result["feedback"].get("warning") or "It is too easy to guess."
        return f"This password is too weak: {warning.rstrip('.')}. Try a longer phrase of unrelated words."
    return None


def create_access_token(secret: str, user_id: str, session_id: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": user_id, "sid": session_id, "type": "access", "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> dict[str, Any]:
    """Decoded claims; raises jwt.ExpiredSignatureError / jwt.InvalidTokenError."""
    claims: dict[str, Any] = jwt.decode(
        token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]}
    )
    if claims.get("type") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored only as their SHA-256 digest, so a leaked DB holds no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_invite_code() -> str:
    """A code a person can read out over the phone: 12 characters, no 0/O/1/I, in groups of four."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


class SecretBox:
    """Encrypts secrets at rest (source and warehouse credentials) with a key derived from the app secret."""

    def __init__(self, key_material: str) -> None:
        digest = hashlib.sha256(("dalgo-secrets:" + key_material).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as err:
            raise ValueError("stored secret cannot be decrypted with this server's key") from err
