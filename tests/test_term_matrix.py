"""The queue's word and TF-IDF matrices (pipeline/data/term_matrix.py) are scikit-learn's, array for array:
same vocabulary, same stored order, same floats, so the relatedness scores and the queue do not move.
scikit-learn is a test dependency only (the build no longer imports it)."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.feature_extraction.text as text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.data.related import DOMAIN_STOP_WORDS, INSTRUCTION_WORDS
from pipeline.data.term_matrix import ENGLISH_STOP_WORDS, NoTerms, binary_terms, tfidf

WORDS = [
    "worry", "sleep", "rest", "the", "and", "of", "anxiety", "calm", "breath", "breathing", "déjà", "vu", "Sleep",
    "self-talk", "a", "x1", "mood", "daily", "people", "doctor", "is", "über", "naïve", "ok", "3d", "rumination",
]  # fmt: skip
doc = st.lists(st.sampled_from(WORDS + [",", ".", " ", "-", ";", "  "]), max_size=30).map(" ".join)
docs = st.lists(doc, min_size=1, max_size=12)


def _same(ours, theirs) -> None:
    theirs = theirs.tocsr()
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)  # the same stored order, not only the same cells
    assert ours.data.tobytes() == theirs.data.tobytes()  # bit for bit


def test_the_stop_words_are_scikit_learns():
    assert ENGLISH_STOP_WORDS == text.ENGLISH_STOP_WORDS


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs, st.sampled_from([1.0, 2, 3, 0.5]))
def test_binary_terms_are_countvectorizers(documents, max_df):
    stop = sorted(ENGLISH_STOP_WORDS | INSTRUCTION_WORDS | DOMAIN_STOP_WORDS)
    pattern = r"(?u)\b[a-zA-Z][a-zA-Z-]{2,}\b"
    vec = text.CountVectorizer(binary=True, stop_words=stop, token_pattern=pattern, max_df=max_df)
    try:
        theirs = vec.fit_transform(documents)
    except ValueError:
        with pytest.raises(NoTerms):
            binary_terms(documents, stop, pattern, max_df)
        return
    ours, terms = binary_terms(documents, stop, pattern, max_df)
    _same(ours, theirs)
    assert terms == tuple(vec.get_feature_names_out())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs)
def test_tfidf_is_tfidfvectorizers_and_so_are_the_similarities(documents):
    try:
        theirs = text.TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(documents)
    except ValueError:
        with pytest.raises(NoTerms):
            tfidf(documents)
        return
    ours = tfidf(documents)
    _same(ours, theirs)
    assert ((ours @ ours.T).toarray().tobytes()) == (theirs @ theirs.T).toarray().tobytes()


def test_the_queue_does_not_import_scikit_learn(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, pandas as pd\n"
        "from pipeline.config import QueueSettings\n"
        "from pipeline.data.related import signals\n"
        "t = pd.DataFrame({'slug': ['a', 'b'], 'description': ['Worry about sleep.', 'Sleep and rest.'],"
        " 'effects': ['poor sleep', 'sleep loss'], 'strategies': ['', ''], 'category': ['x', 'x']})\n"
        "e = pd.DataFrame({'a': [], 'b': [], 'status': []})\n"
        "s = signals(t, e, QueueSettings())\n"
        "assert s.similarity[0, 1] > 0 and s.shared[0, 1] == 1, (s.similarity, s.shared)\n"
        "assert 'sklearn' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_the_signals_of_the_shipped_topics_are_the_ones_scikit_learn_gave():
    from pathlib import Path

    from pipeline.config import load_config
    from pipeline.data.related import _max_df, _text, signals
    from pipeline.site.build import load_inputs

    root = Path(__file__).resolve().parent.parent
    cfg = load_config(root / "site.toml")
    inputs = load_inputs(root / "data", root / "templates", cfg)
    sig = signals(inputs.topics, inputs.pairs, cfg.queue, inputs.links)
    topics = inputs.topics.sort_values("slug", kind="stable").reset_index(drop=True)
    vec = text.CountVectorizer(
        binary=True,
        stop_words=sorted(text.ENGLISH_STOP_WORDS | INSTRUCTION_WORDS | DOMAIN_STOP_WORDS),
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z-]{2,}\b",
        max_df=_max_df(cfg.queue, len(topics)),
    )
    words = vec.fit_transform([_text(e) + " " + _text(s) for e, s in zip(topics["effects"], topics["strategies"])])
    _same(sig.words, words.astype(np.int32).tocsr())
    assert sig.vocabulary == tuple(vec.get_feature_names_out())
    x = text.TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(
        [_text(d) for d in topics["description"]]
    )
    sim = (x @ x.T).toarray().astype(np.float32)
    np.fill_diagonal(sim, 0)
    assert sig.similarity.tobytes() == sim.tobytes()
    assert sig.similarity.any() and sig.shared.any()
