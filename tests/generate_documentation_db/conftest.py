"""The docs monitor tests' site: a docs server of the test's own on loopback."""
import pytest

from tests.generate_documentation_db.helpers import Site


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path)
    yield site
    site.server.stop()
