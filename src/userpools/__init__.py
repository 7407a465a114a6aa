"""userpools: a self-hosted identity provider that speaks Amazon Cognito User Pools' own API."""

__version__ = "0.1.0"
