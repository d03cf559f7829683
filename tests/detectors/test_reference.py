"""Reference data: .npy and .csv (with or without a header line), a file or a directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infergraph_server.detectors.reference import ReferenceDataError, load_reference

FILES = ("reference.npy", "reference.csv")


def test_npy_csv_and_a_directory_give_the_same_rows(tmp_path: Path) -> None:
    rows = np.arange(12, dtype=np.float64).reshape(4, 3) / 4
    np.save(tmp_path / "a.npy", rows)
    (tmp_path / "plain.csv").write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    (tmp_path / "header.csv").write_text("x,y,z\n" + (tmp_path / "plain.csv").read_text())
    folder = tmp_path / "folder"
    folder.mkdir()
    np.save(folder / "reference.npy", rows)
    for uri in ("a.npy", "plain.csv", "header.csv"):
        assert np.array_equal(load_reference(f"file://{tmp_path / uri}", FILES), rows)
    assert np.array_equal(load_reference(str(folder), FILES), rows)


def test_one_column_becomes_one_feature(tmp_path: Path) -> None:
    np.save(tmp_path / "r.npy", np.array([1, 2, 3]))
    assert load_reference(str(tmp_path / "r.npy"), FILES).shape == (3, 1)


@pytest.mark.parametrize(
    ("write", "says"),
    [
        (lambda p: np.save(p / "reference.npy", np.array(["a", "b"])), "expected numbers"),
        (lambda p: np.save(p / "reference.npy", np.array([[1.0, np.nan]] * 2)), "NaN"),
        (lambda p: np.save(p / "reference.npy", np.zeros((1, 3))), "2 rows or more"),
        (lambda p: (p / "reference.csv").write_text("a,b\n1,x\n"), "not a CSV of numbers"),
        (lambda p: (p / "reference.npy").write_bytes(b"junk"), "not a .npy array"),
        (lambda p: None, "holds none of reference.npy, reference.csv"),
    ],
    ids=["strings", "nan", "one-row", "bad-csv", "bad-npy", "empty-dir"],
)
def test_bad_reference_data_is_named(tmp_path: Path, write: object, says: str) -> None:
    write(tmp_path)  # type: ignore[operator]
    with pytest.raises(ReferenceDataError, match=says):
        load_reference(str(tmp_path), FILES)


def test_remote_uris_are_left_to_the_storage_initializer() -> None:
    with pytest.raises(ReferenceDataError, match="storage initializer"):
        load_reference("s3://bucket/reference.npy", FILES)
