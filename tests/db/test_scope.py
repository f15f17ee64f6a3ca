"""`Scope`: how `--territories` text becomes a scope, and why a scope never grants more than asked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.scope import EVERY_TERRITORY, Scope, ScopeError

NAMES = ("UK", "IE", "FR", "DE", "Việt Nam", "O'Brien & Co")
scopes = st.one_of(
    st.just(Scope.everything()),
    st.lists(st.sampled_from(NAMES), max_size=len(NAMES)).map(Scope.only),
)
territory_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=",*"), min_size=1, max_size=30
).filter(lambda name: name.strip() not in ("", "all"))


def _granted(scope: Scope, territories: tuple[str, ...] = NAMES) -> set[str]:
    return {territory for territory in territories if scope.allows(territory)}


@pytest.mark.parametrize("text", ["*", "all", " * ", "\tall\n"])
def test_a_star_or_all_alone_grants_every_territory(text: str) -> None:
    scope = Scope.parse(text)

    assert scope.is_everything
    assert scope.allows("a territory that arrives next year")
    assert scope.describe() == "all territories"


@pytest.mark.parametrize("text", ["UK,IE", "UK, IE", " IE ,UK ", "UK,IE,UK", "IE, UK, IE, UK"])
def test_a_list_is_read_whatever_its_spacing_order_or_repeats(text: str) -> None:
    assert Scope.parse(text) == Scope(("IE", "UK"))


def test_names_are_taken_as_written_including_non_ascii_and_spaces_inside() -> None:
    scope = Scope.parse("Việt Nam, O'Brien & Co")

    assert scope.territories == ("O'Brien & Co", "Việt Nam")
    assert scope.allows("Việt Nam") and not scope.allows("Viet Nam")


def test_a_name_is_case_sensitive_so_all_in_capitals_is_a_territory_not_everything() -> None:
    scope = Scope.parse("ALL")

    assert scope == Scope(("ALL",))
    assert not scope.allows("UK")


@pytest.mark.parametrize("text", ["", " ", "\t\n"])
def test_blank_text_is_refused_rather_than_read_as_a_scope(text: str) -> None:
    with pytest.raises(ScopeError, match="is not a list of territories"):
        Scope.parse(text)


def test_the_empty_scope_grants_nothing() -> None:
    scope = Scope.only([])

    assert scope == Scope(()) and not scope.is_everything
    assert _granted(scope) == set()
    assert not scope.allows("")
    assert scope.describe() == "no territories" and scope.text() == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (",", "is not a list of territories"),
        ("UK,", "is not a list of territories"),
        (",UK", "is not a list of territories"),
        ("UK,,IE", "is not a list of territories"),
        ("UK, ,IE", "is not a list of territories"),
        ("UK,*", r"mixes \* or all"),
        ("*,UK", r"mixes \* or all"),
        ("all,UK", r"mixes \* or all"),
        ("*,*", r"mixes \* or all"),
        ("U*K", "is not a territory name"),
        ("UK\x00", "is not a territory name"),
        ("U\x1bK", "is not a territory name"),
        ("UK,I\x7fE", "is not a territory name"),
        ("U\x9bK", "is not a territory name"),
        ("U\nK", "is not a territory name"),
        ("x" * 101, "is not a territory name"),
    ],
)
def test_text_that_is_not_a_scope_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ScopeError, match=message) as refused:
        Scope.parse(text)

    assert "write * for every territory" in str(refused.value)


def test_a_refusal_quotes_control_characters_escaped_never_raw() -> None:
    with pytest.raises(ScopeError) as refused:
        Scope.parse("U\x1b[2JK")

    assert "\x1b" not in str(refused.value) and "\\x1b" in str(refused.value)


def test_no_territory_may_be_called_all_or_star() -> None:
    for name in ("all", EVERY_TERRITORY, "U*K"):
        with pytest.raises(ScopeError, match="is not a territory name"):
            Scope.only([name])


@given(text=st.text(max_size=40))
def test_any_text_is_refused_or_grants_at_most_the_names_it_lists(text: str) -> None:
    try:
        scope = Scope.parse(text)
    except ScopeError:
        return
    if scope.is_everything:
        assert text.strip() in (EVERY_TERRITORY, "all")
    else:
        assert scope.territories is not None
        assert set(scope.territories) <= {part.strip() for part in text.split(",")}


@given(names=st.lists(territory_names, min_size=1, max_size=5))
def test_a_scope_reads_back_from_its_text_as_the_same_scope(names: list[str]) -> None:
    scope = Scope.only(names)

    assert Scope.parse(scope.text()) == scope
    assert Scope.parse(Scope.everything().text()) == Scope.everything()


@given(first=scopes, second=scopes)
def test_narrowing_never_widens_either_scope(first: Scope, second: Scope) -> None:
    narrowed = first.narrowed(second)

    assert _granted(narrowed) == _granted(first) & _granted(second)
    assert narrowed.is_everything == (first.is_everything and second.is_everything)
    assert narrowed == second.narrowed(first)


@given(scope=scopes)
def test_narrowing_by_everything_keeps_a_scope_and_by_nothing_empties_it(scope: Scope) -> None:
    assert scope.narrowed(Scope.everything()) == scope
    assert scope.narrowed(Scope.only([])) == Scope(())


def test_a_one_territory_scope_is_that_territorys_view() -> None:
    assert Scope.parse("UK").single == "UK"
    assert Scope.parse("UK,IE").single is None
    assert Scope.everything().single is None
    assert Scope.only([]).single is None
