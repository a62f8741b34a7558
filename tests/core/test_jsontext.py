"""JSON read carefully: repeated keys and numbers too long to convert are named."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.core.jsontext import JsonProblem, load_json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(JSON)
def test_json_without_repeated_keys_reads_as_pythons_reader_reads_it(value: object) -> None:
    text = json.dumps(value)
    assert load_json(text) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "field", "said"),
    [
        ('{"a": 1, "a": 2}', "a", "the key 'a' appears twice in one object; keep one"),
        ('{"s": [{}, {"m": 1, "x": 2, "m": 3}]}', "s[1].m", "s[1]: the key 'm' appears twice"),
        ('{"s": [1, ' + "4" * 4301 + "]}", "s[1]", "s[1]: a number of more than 4,300 digits"),
        ("-" + "4" * 4301, "", "a number of more than 4,300 digits"),
    ],
)
def test_problems_are_named_where_they_are(text: str, field: str, said: str) -> None:
    with pytest.raises(JsonProblem) as caught:
        load_json(text)
    assert caught.value.field == field
    assert str(caught.value).startswith(said)


def test_the_first_problem_in_the_document_is_named() -> None:
    with pytest.raises(JsonProblem) as caught:
        load_json('{"a": {"k": 1, "k": 2}, "b": {"k": 1, "k": 2}}')
    assert caught.value.field == "a.k"


def test_the_longest_number_python_converts_is_read() -> None:
    assert load_json("4" * 4300) == int("4" * 4300)
