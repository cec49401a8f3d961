"""Which server the desktop talks to: this computer's embedded one, or a hosted one by URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ServerTarget:
    """A server to sign in to; `key` names it in the credential store and preferences."""

    url: str
    key: str
    embedded: bool

    @classmethod
    def local(cls, url: str, data_dir: Path) -> ServerTarget:
        # The embedded server's port changes every launch; its data dir is what identifies it.
        return cls(url=url.rstrip("/"), key=f"local:{data_dir}", embedded=True)

    @classmethod
    def hosted(cls, text: str) -> ServerTarget:
        url = normalise_url(text)
        return cls(url=url, key=url, embedded=False)

    @property
    def label(self) -> str:
        return "Local (this computer)" if self.embedded else urlsplit(self.url).netloc

    @property
    def short_label(self) -> str:
        return "Local" if self.embedded else urlsplit(self.url).netloc


def normalise_url(text: str) -> str:
    """`dalgo.example.org` → `https://dalgo.example.org`; a pasted `/api/v1` or `/docs` suffix is dropped."""
    text = text.strip()
    if not text:
        raise ValueError("Enter the address of the Dalgo server, e.g. https://dalgo.example.org.")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{text}' is not a web address; use one like https://dalgo.example.org.")
    path = parts.path.rstrip("/")
    for suffix in ("/api/v1", "/docs", "/health"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return f"{parts.scheme}://{parts.netloc}{path}"
