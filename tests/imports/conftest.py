import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files and error workbooks go to a throwaway MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _tasks_in_process_unless_testing_the_worker(request):
    """Page-flow tests run the import tasks in-process even when a broker is configured; the tests
    marked celery_worker use a real worker (tests/celery_helpers.py)."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    from tests.celery_helpers import tasks_eager

    with tasks_eager(True):
        yield
