"""jax's persistent compilation cache for the test generator: a second check of
the same code reuses the compiled programs of the first, from a cache
directory that follows the platform's conventions.

- `SHAPELY_NN_CACHE_DIR=/path` moves it, `SHAPELY_NN_CACHE_DIR=off` disables it;
- `sn.testing.set_cache_dir(path)` (None disables) in code,
  `shapely-nn check --cache-dir DIR | --no-cache`, and the pytest ini option
  `shapely_cache_dir` do the same;
- a cache the user configured for jax (`jax_compilation_cache_dir`) is left as
  it is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["ENV_VAR", "default_cache_dir", "ensure_cache", "set_cache_dir"]

ENV_VAR = "SHAPELY_NN_CACHE_DIR"
_OFF = ("off", "none", "0", "false", "no")
# what this module decided: None until the first check, then a path or "" (off)
_STATE: dict[str, str | None] = {"dir": None, "chosen": None}


def default_cache_dir() -> Path:
    """`~/.cache/shapely_nn/jax` on Linux ($XDG_CACHE_HOME honoured),
    `~/Library/Caches/shapely_nn/jax` on macOS, `%LOCALAPPDATA%/shapely_nn/Cache/jax`
    on Windows."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "shapely_nn" / "jax"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "shapely_nn" / "Cache" / "jax"
    base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / "shapely_nn" / "jax"


def set_cache_dir(path: str | os.PathLike[str] | None) -> None:
    """Where `sn.testing.check`, `generate_tests` and the pytest plugin keep jax's
    compiled programs between runs: a directory, or None for no cache. Overrides
    the environment variable `SHAPELY_NN_CACHE_DIR`."""
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"sn.testing.set_cache_dir: expected a path or None, got {path!r}")
    _STATE["chosen"] = "" if path is None else os.fspath(path)
    _STATE["dir"] = None
    ensure_cache()


def ensure_cache() -> str:
    """Switch the cache on as configured (once per setting); the directory in
    use, or "" if none."""
    if _STATE["dir"] is not None:
        return _STATE["dir"]
    import jax

    chosen = _STATE["chosen"]
    if chosen is None:
        env = os.environ.get(ENV_VAR, "").strip()
        chosen = "" if env.lower() in _OFF and env else (env or str(default_cache_dir()))
    current = jax.config.jax_compilation_cache_dir  # pyright: ignore[reportAttributeAccessIssue]
    if current and current != _STATE.get("ours"):
        _STATE["dir"] = current  # the user's own jax cache: left alone
        return current
    if not chosen:
        if current:
            jax.config.update("jax_compilation_cache_dir", None)
        _STATE["dir"] = ""
        return ""
    try:
        Path(chosen).mkdir(parents=True, exist_ok=True)
    except OSError:
        _STATE["dir"] = ""  # an unwritable place: no cache, never an error
        return ""
    jax.config.update("jax_compilation_cache_dir", chosen)
    # our programs compile in well under jax's default threshold of one second
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    _STATE["ours"] = chosen
    _STATE["dir"] = chosen
    return chosen
