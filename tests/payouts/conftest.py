import pytest


@pytest.fixture(autouse=True)
def _bank_files_in_tmp(settings, tmp_path):
    """Bank files produced by the tests are stored under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
