"""providers/http.py's one way from an unwanted answer to an error: `answer_error`."""

import pytest

from providers.core import texts
from providers.core.errors import BY_CAUSE, Cause, CredentialsError, ProviderError
from providers.http import Answer, answer_error

SHARED = sorted(
    (name, value)
    for name, value in vars(texts).items()
    if name.isupper() and isinstance(value, str)
)


def answer(status: int) -> Answer:
    return Answer(status, {}, b"", attempts=2)


@pytest.mark.parametrize(("name", "sentence"), SHARED, ids=[name for name, _ in SHARED])
def test_a_shared_sentence_spliced_into_advice_is_said_as_written(name, sentence):
    # The vendors' advice joins texts.py's sentences to its templates (`"... " + GRAPH_SIGN_IN`):
    # a brace in one would make the error itself fail to format.
    advice = {Cause.UNEXPECTED: "{what} answered HTTP {status}{detail}; " + sentence}
    error = answer_error(answer(418), advice, detail=": teapot", what="Graph")
    assert str(error) == "Graph answered HTTP 418: teapot; " + sentence


def test_the_class_comes_from_the_cause_and_the_words_from_the_caller():
    advice = {
        Cause.UNAUTHORIZED: "{what} refused the credentials (HTTP {status}) after {attempts}",
        Cause.UNEXPECTED: "{what} answered HTTP {status}",
    }
    refused = answer_error(answer(401), advice, kinds=BY_CAUSE, what="Okta")
    assert type(refused) is CredentialsError
    assert str(refused) == "Okta refused the credentials (HTTP 401) after 2"
    # A caller that words every cause alike gets ProviderError, its words still by cause.
    alike = answer_error(answer(401), advice, what="Okta")
    assert type(alike) is ProviderError
    assert str(answer_error(answer(502), advice, what="Okta")) == "Okta answered HTTP 502"
