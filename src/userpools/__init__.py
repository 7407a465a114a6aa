"""userpools: a self-hosted identity provider that speaks Amazon Cognito User Pools' own API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("userpools")  # pyproject.toml's, through the installed package's metadata
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0+unknown"
