from tests.dossiers.conftest import version  # noqa: F401 - the shared procedure fixture
