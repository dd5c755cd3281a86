"""The next batch is checked in a thread while the current one loads: order, errors, stops."""

import threading

import pytest

from pipelines.ingest import checked_ahead


def test_files_come_out_in_order_and_batch_by_batch():
    batches = [[1, 2], [3], [4, 5, 6]]
    assert list(checked_ahead(iter(batches))) == [1, 2, 3, 4, 5, 6]


def test_an_error_while_checking_is_raised_in_the_loading_thread_after_the_good_batches():
    def batches():
        yield ["a"]
        raise ValueError("unreadable batch")

    seen = []
    with pytest.raises(ValueError, match="unreadable batch"):
        for item in checked_ahead(batches()):
            seen.append(item)
    assert seen == ["a"]


def test_stopping_early_ends_the_checking_thread():
    produced = []

    def batches():
        for i in range(1000):
            produced.append(i)
            yield [i]

    ahead = checked_ahead(batches())
    assert next(ahead) == 0
    ahead.close()  # what `with closing(...)` does when a load fails
    assert not any(t.name == "ingest-check" for t in threading.enumerate())
    assert len(produced) < 10  # it did not check everything that was left


def test_stopping_early_ends_both_threads_of_the_three_stages():
    """Files are prepared in one thread, validated in another, loaded in the caller's."""
    from pathlib import Path

    from pipelines.ingest import CheckedFile, LandedFile, validated_ahead

    prepared = []

    def batches():
        for i in range(1000):
            prepared.append(i)
            # No rows (as an unreadable file): validation leaves the batch as it is.
            yield [CheckedFile(LandedFile("interactions", Path(f"{i}.csv"), str(i)))], None

    files = checked_ahead(validated_ahead(batches()))
    assert [next(files).landed.name for _ in range(3)] == ["0.csv", "1.csv", "2.csv"]
    files.close()
    assert not any(t.name.startswith("ingest-") for t in threading.enumerate())
    assert len(prepared) < 12
