import os
import pwd
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from brandpulse.store import open_db
from brandpulse.store.errors import StoreError
from brandpulse.store.lock import ServiceLock

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="making a file of another user needs root")
NOBODY = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else None


@pytest.fixture
def state_dir():
    """A folder the service user may write, as systemd's StateDirectory (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="brandpulse-owners-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


@contextmanager
def as_service_user():
    os.seteuid(NOBODY)  # the saved uid stays root's, so the test can come back
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_store_root_made_tells_the_service_user_whose_it_is_and_how_to_hand_it_over(state_dir):
    store = state_dir / "brandpulse.db"
    open_db(store).close()  # `brandpulse run --once` run as root before the service's first start

    with as_service_user(), pytest.raises(StoreError) as raised:
        open_db(store)

    assert str(raised.value) == (
        f"database {store} cannot be opened: unable to open database file; {store} belongs to root, and this process "
        "runs as nobody (a brandpulse command run as root made it); run brandpulse as root, or give the store's files "
        f"to nobody: chown nobody {store}*")


def test_a_service_lock_root_made_tells_the_service_user_whose_it_is(state_dir):
    store = state_dir / "brandpulse.db"
    ServiceLock(store).acquire().release()

    with as_service_user(), pytest.raises(StoreError) as raised:
        ServiceLock(store).acquire()

    assert str(raised.value).startswith(f"cannot take the service lock {store}.lock: Permission denied; {store}.lock "
                                        "belongs to root, and this process runs as nobody")
    assert str(raised.value).endswith(f"chown nobody {store}*")
