"""TF-IDF n-grams of the answer plus its overlap with the reference, into a linear model.

The strong classical baseline for short-answer grading: word 1-2-grams catch phrasing
("not connected"), character 2-4-grams catch misspellings and work for Chinese without a
tokenizer, and the overlap features (``lexical.OVERLAP_FEATURES`` and the TF-IDF cosine to the
nearest reference) carry over to questions never seen in training, since no feature names the
question. Labels train a logistic regression; scores (the Chinese LE set) train a ridge
regression, because thresholding a 0.0-1.0 score would throw its partial credit away.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import normalize as l2_normalize

from learnloop.errors import InvalidInputError
from learnloop.grading.learned.base import FloatArray, LearnedGrader
from learnloop.grading.learned.lexical import (
    OVERLAP_FEATURES,
    TOKEN_PATTERN,
    normalize,
    overlap_features,
)
from learnloop.training.examples import GradingDataset, GradingExample

VOCABULARY = "vocabulary.json"


def _analysis(analyzer: str, ngrams: tuple[int, int]) -> dict[str, Any]:
    """How both vectorizers cut text: NFKC-casefolded, words as ``TOKEN_PATTERN`` finds them."""
    words = {"token_pattern": TOKEN_PATTERN} if analyzer == "word" else {"token_pattern": None}
    return {
        "analyzer": analyzer,
        "ngram_range": ngrams,
        "preprocessor": normalize,
        "lowercase": False,
        **words,
    }


class _Tfidf:
    """A fitted TF-IDF transform rebuilt from its vocabulary and idf weights alone.

    Used after ``fit`` as well as after ``load``, so a loaded grader computes exactly the
    same numbers as the one that was saved.
    """

    def __init__(self, analyzer: str, ngrams: tuple[int, int], terms: list[str], idf: FloatArray):
        self.terms, self.idf = terms, idf
        self.counter = CountVectorizer(
            **_analysis(analyzer, ngrams),
            vocabulary={term: i for i, term in enumerate(terms)},
            dtype=np.float64,
        )

    @classmethod
    def fit(
        cls,
        texts: list[str],
        analyzer: str,
        ngrams: tuple[int, int],
        min_df: int,
        max_features: int | None,
    ) -> _Tfidf:
        vectorizer = TfidfVectorizer(
            **_analysis(analyzer, ngrams),
            min_df=min_df,
            max_features=max_features,
            sublinear_tf=True,
        )
        try:
            vectorizer.fit(texts)
        except ValueError as exc:
            raise InvalidInputError(
                f"no {analyzer} n-gram occurs in {min_df} or more answers ({exc}); "
                "lower min_df or add answers"
            ) from None
        order = sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])
        return cls(analyzer, ngrams, [t for t, _ in order], np.asarray(vectorizer.idf_))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        counts = sp.csr_matrix(self.counter.transform(texts), dtype=np.float64)
        counts.data = np.log(counts.data) + 1.0
        counts.data *= self.idf[counts.indices]
        return sp.csr_matrix(l2_normalize(counts, norm="l2", copy=False))


class TfidfGrader(LearnedGrader):
    """Hyper-parameters: n-gram ranges; ``min_df`` drops n-grams in fewer training texts
    (answers and references) and ``max_features`` keeps each vectorizer's commonest; ``overlap``
    adds the reference-overlap features, scaled by ``overlap_weight``; ``C`` (logistic
    regression) and ``alpha`` (ridge) set the regularisation; ``class_weight="balanced"``
    evens out rare labels."""

    name = "tfidf"
    title = "TF-IDF and reference-overlap grader"
    summary = (
        "Word 1-2-grams and character 2-4-grams of the answer (TF-IDF), plus how much of its "
        "best-matching reference answer it covers, into a logistic regression (labels) or a "
        "ridge regression (scores). No feature names the question, so it also grades "
        "questions it was not trained on, less well than questions it was."
    )
    json_files = (VOCABULARY,)

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 4),
        min_df: int = 2,
        max_features: int | None = 50_000,
        overlap: bool = True,
        overlap_weight: float = 1.0,
        C: float = 1.0,
        alpha: float = 1.0,
        class_weight: str | None = None,
        max_iter: int = 2000,
        random_state: int | None = 0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.overlap = overlap
        self.overlap_weight = overlap_weight
        self.C = C
        self.alpha = alpha
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    # --- learning -----------------------------------------------------------------------

    def fit(self, dataset: GradingDataset) -> Self:
        started = time.perf_counter()
        y = self._targets(dataset)
        texts = [ex.answer for ex in dataset]
        texts += sorted({ref for ex in dataset for ref in ex.references})
        word, char = _pair(self.word_ngrams, "word_ngrams"), _pair(self.char_ngrams, "char_ngrams")
        self.word_ = _Tfidf.fit(texts, "word", word, self.min_df, self.max_features)
        self.char_ = _Tfidf.fit(texts, "char_wb", char, self.min_df, self.max_features)
        X = self._features(dataset.examples)
        if self.classes_:
            model = LogisticRegression(
                C=self.C,
                class_weight=self.class_weight,
                max_iter=self.max_iter,
                random_state=self.random_state,
            ).fit(X, y)
            self.seen_ = np.asarray(model.classes_, dtype=np.int64)  # labels in the data
            self.coef_ = np.asarray(model.coef_, dtype=np.float64)
            self.intercept_ = np.asarray(model.intercept_, dtype=np.float64)
        else:
            ridge = Ridge(alpha=self.alpha, random_state=self.random_state).fit(X, y)
            self.seen_ = np.zeros(0, dtype=np.int64)
            self.coef_ = np.asarray(ridge.coef_, dtype=np.float64).reshape(1, -1)
            self.intercept_ = np.asarray(ridge.intercept_, dtype=np.float64).reshape(1)
        self.info_ = self._fit_info(
            dataset,
            started,
            features=X.shape[1],
            word_terms=len(self.word_.terms),
            char_terms=len(self.char_.terms),
        )
        return self

    def _features(self, examples: Sequence[GradingExample]) -> sp.csr_matrix:
        answers = [ex.answer for ex in examples]
        word, char = self.word_.transform(answers), self.char_.transform(answers)
        blocks = [word, char]
        if self.overlap:
            lexical = np.vstack(
                [overlap_features(ex.answer, ex.references, ex.question) for ex in examples]
            )
            cosine = self._reference_cosine(examples, word, char)
            blocks.append(sp.csr_matrix(np.hstack([lexical, cosine]) * self.overlap_weight))
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def _reference_cosine(
        self, examples: Sequence[GradingExample], word: sp.csr_matrix, char: sp.csr_matrix
    ) -> FloatArray:
        """Cosine of each answer to its nearest reference, in word and in character space."""
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, ex in enumerate(examples):
            if ex.references:
                groups.setdefault(ex.references, []).append(i)
        out = np.zeros((len(examples), 2))
        for k, (answers, space) in enumerate(((word, self.word_), (char, self.char_))):
            for references, rows in groups.items():
                sims = answers[rows] @ space.transform(list(references)).T
                out[rows, k] = np.asarray(sims.max(axis=1).todense()).ravel()
        return out

    def _decision(self, examples: Sequence[GradingExample]) -> FloatArray:
        X = self._features(examples)
        return np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_

    def _proba(self, examples: Sequence[GradingExample]) -> FloatArray:
        z = self._decision(examples)
        if z.shape[1] == 1:
            p = expit(z[:, 0])
            fitted = np.column_stack([1.0 - p, p])
        else:
            fitted = softmax(z, axis=1)
        proba = np.zeros((len(examples), len(self.classes_)))
        proba[:, self.seen_] = fitted
        return proba

    def _regress(self, examples: Sequence[GradingExample]) -> FloatArray:
        return self._decision(examples)[:, 0]

    # --- persistence --------------------------------------------------------------------

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "seen": self.seen_,
            "idf_word": self.word_.idf,
            "idf_char": self.char_.idf,
        }
        return arrays, {VOCABULARY: {"word": self.word_.terms, "char": self.char_.terms}}

    def _restore(self, arrays: dict[str, np.ndarray], files: dict[str, Any]) -> None:
        vocabulary = files[VOCABULARY]
        word, char = _pair(self.word_ngrams, "word_ngrams"), _pair(self.char_ngrams, "char_ngrams")
        self.word_ = _Tfidf("word", word, vocabulary["word"], arrays["idf_word"])
        self.char_ = _Tfidf("char_wb", char, vocabulary["char"], arrays["idf_char"])
        self.coef_, self.intercept_ = arrays["coef"], arrays["intercept"]
        self.seen_ = arrays["seen"]
        expected = len(self.word_.terms) + len(self.char_.terms)
        expected += (len(OVERLAP_FEATURES) + 2) if self.overlap else 0
        if self.coef_.shape[1] != expected:
            raise InvalidInputError(
                f"saved weights have {self.coef_.shape[1]} features but the vocabulary and "
                f"settings give {expected}; the directory mixes files of different graders"
            )


def _pair(value: Any, name: str) -> tuple[int, int]:
    """An n-gram range from a tuple or, after a JSON round trip, a list."""
    try:
        low, high = (int(v) for v in value)
    except (TypeError, ValueError):
        low, high = 0, -1
    if not 1 <= low <= high:
        raise InvalidInputError(f"{name} must be two whole numbers (low, high), not {value!r}")
    return low, high
