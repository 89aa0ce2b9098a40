"""The login brake's arithmetic, with the clock passed in: limits, growing locks, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflow.accounts import login_brake as brake

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def fail(db, username: str, now: datetime, address: str = "192.0.2.1") -> None:
    with db.unit_of_work() as s:
        brake.record_failure(s, brake.keys(username, address), now)


def lock_end(db, username: str, now: datetime, address: str = "192.0.2.1") -> datetime | None:
    with db.session() as s:
        return brake.locked_until(s, brake.keys(username, address), now)


def test_lock_lengths_double_up_to_a_ceiling():
    assert [brake.lock_length(n) for n in range(6)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15)]
    assert brake.lock_length(10_000) == brake.LONGEST_LOCK


def test_the_fifth_failure_locks_the_name_for_a_minute(db):
    for i in range(brake.USER_LIMIT - 1):
        fail(db, "unit1", T0 + timedelta(seconds=i))
        assert lock_end(db, "unit1", T0 + timedelta(seconds=i)) is None
    fail(db, "UNIT1 ", T0 + timedelta(seconds=10))  # the same name, however it was typed
    assert lock_end(db, "unit1", T0 + timedelta(seconds=11)) == T0 + timedelta(seconds=70)
    assert lock_end(db, "unit1", T0 + timedelta(seconds=70)) is None
    assert lock_end(db, "unit2", T0 + timedelta(seconds=11)) is None


def test_a_quiet_day_starts_the_count_again(db):
    for i in range(brake.USER_LIMIT - 1):
        fail(db, "unit1", T0 + timedelta(seconds=i))
    later = T0 + brake.FORGET_AFTER + timedelta(minutes=1)
    fail(db, "unit1", later)
    assert lock_end(db, "unit1", later) is None


def test_a_clear_forgets_the_name_but_not_the_address(db):
    for i in range(brake.ADDRESS_LIMIT):
        fail(db, f"name-{i % 3}", T0 + timedelta(seconds=i))
    with db.unit_of_work() as s:
        for i in range(3):
            brake.clear(s, f"name-{i}")
    now = T0 + timedelta(seconds=30)
    assert lock_end(db, "someone-else", now) is not None
    assert lock_end(db, "someone-else", now, address="192.0.2.2") is None
