"""The Jupyter server extension: sign-in endpoints and pages under ``{base_url}agol/``."""
