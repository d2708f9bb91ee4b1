"""The persistent compilation cache: on by default, and a user's own setting wins."""

from __future__ import annotations

from ngcm_lab import compilation


def test_the_cache_is_on_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("NGCM_LAB_CACHE", str(tmp_path))
    env: dict[str, str] = {}
    applied = compilation.configure(env)
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "jax")
    assert int(env["JAX_COMPILATION_CACHE_MAX_SIZE"]) == compilation.CACHE_MAX_BYTES
    assert applied == env


def test_a_users_settings_win():
    env = {"JAX_COMPILATION_CACHE_DIR": "/somewhere"}
    assert compilation.configure(env) == {} and env == {"JAX_COMPILATION_CACHE_DIR": "/somewhere"}
    off = {"NGCM_LAB_COMPILATION_CACHE": "0"}
    assert compilation.configure(off) == {} and off == {"NGCM_LAB_COMPILATION_CACHE": "0"}
