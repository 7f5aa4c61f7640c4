from tests.sources.eunomia import gibleed  # noqa: F401 - a session fixture
