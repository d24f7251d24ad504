"""The studio key ring: sealing at rest, rotation that keeps old data readable, and a wrong key that
is a clear error, never garbage."""

from __future__ import annotations

import json
import os
import stat

import pytest

from studio_ext.security.keys import KeyRing, SealError, keyring_path
from studio_ext.serving.capture import Capture, read_record


def test_given_a_new_home_then_the_key_ring_is_created_private_and_seals_without_the_plaintext(tmp_path):
    ring = KeyRing.for_home(tmp_path)

    sealed = ring.seal(b'{"instances": [[5.1, 3.5]]}')

    path = keyring_path(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert sealed.startswith("k1:") and "instances" not in sealed
    assert KeyRing.for_home(tmp_path).unseal(sealed) == b'{"instances": [[5.1, 3.5]]}'  # the same key, reloaded


def test_given_a_rotation_then_new_data_uses_the_new_key_and_old_data_stays_readable(tmp_path):
    ring = KeyRing.for_home(tmp_path)
    old = ring.seal(b"before")

    assert ring.rotate() == "k2"
    reloaded = KeyRing.for_home(tmp_path)
    new = reloaded.seal(b"after")

    assert new.startswith("k2:") and reloaded.unseal(old) == b"before" and reloaded.unseal(new) == b"after"
    assert stat.S_IMODE(os.stat(keyring_path(tmp_path)).st_mode) == 0o600


def test_given_a_different_or_missing_key_then_unsealing_is_a_clear_error(tmp_path):
    sealed = KeyRing.for_home(tmp_path / "a").seal(b"secret")
    other = KeyRing.for_home(tmp_path / "b")  # another studio's k1

    with pytest.raises(SealError, match="cannot decrypt with key 'k1'.*not the key that sealed this"):
        other.unseal(sealed)
    with pytest.raises(SealError, match="sealed with key 'k7', which the key ring .* does not hold"):
        other.unseal("k7:" + sealed.split(":", 1)[1])
    with pytest.raises(SealError, match="cannot decrypt"):
        KeyRing.for_home(tmp_path / "a").unseal(sealed[:-4] + "AAAA")  # altered


def test_given_a_capture_with_a_key_ring_then_files_hold_no_plaintext_and_read_back_whole(tmp_path):
    ring = KeyRing.for_home(tmp_path)
    capture = Capture(tmp_path / "capture", 100.0, "input,output", ring)
    capture.maybe_write(b'{"instances": [[1, 2]]}', b'{"predictions": [0]}')
    capture.close()

    (file,) = (tmp_path / "capture").glob("*.jsonl")
    raw = file.read_text()
    record = json.loads(raw)

    assert "instances" not in raw and "predictions" not in raw
    assert read_record(record, ring) == ('{"instances": [[1, 2]]}', '{"predictions": [0]}', None)
    given, answered, error = read_record(record, KeyRing.for_home(tmp_path / "elsewhere"))
    assert given is None and answered is None and "not the key that sealed this" in error


def test_given_an_operator_key_file_in_the_environment_then_it_is_the_one_used(tmp_path, monkeypatch):
    own = tmp_path / "operator" / "ring.json"
    monkeypatch.setenv("STUDIO_KEYRING", str(own))

    KeyRing.for_home(tmp_path / "home").seal(b"x")

    assert own.exists() and not (tmp_path / "home" / "secrets").exists()
