"""`%agol_login` options: what each line means, and clear words for a bad one."""

import pytest

from agol_jupyter.errors import ConfigurationError
from agol_jupyter.kernel.magic import parse_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", dict(portal=None, client_id=None, name="gis", timeout=300, force=False, profile=None)),
        ("https://myorg.maps.arcgis.com", dict(portal="https://myorg.maps.arcgis.com")),
        ("--client-id abc --name field_gis", dict(client_id="abc", name="field_gis")),
        (
            "gis.example.com/portal --timeout 30 --force",
            dict(portal="gis.example.com/portal", timeout=30.0, force=True),
        ),
        ("--profile field", dict(profile="field")),
    ],
)
def test_lines(line: str, expected: dict) -> None:
    args = vars(parse_line(line))
    for key, value in expected.items():
        assert args[key] == value


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("--name 1gis", "not a Python variable name"),
        ("--timeout soon", "--timeout"),
        ("--colour blue", "does not know"),
        ("a b", "does not know"),
        ('"unclosed', "%agol_login"),
    ],
)
def test_bad_lines(line: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_line(line)
    assert says in caught.value.message
    assert caught.value.remedy.startswith("Usage: %agol_login")
