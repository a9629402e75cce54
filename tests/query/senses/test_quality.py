"""Senses found with the bundled demo model on unseen generator sentences with known senses.

Per ambiguous word: the adjusted Rand index between the senses found and the true ones, and
the number found; the control word, used one way, gets one sense
(``python -m benchmarks.senses_quality`` prints the table).
"""

from __future__ import annotations

from tests.query.senses.conftest import CONTROL, SenseCorpus
from tests.query.senses.scoring import adjusted_rand_index
from tools.sample_corpus import ambiguous_words


def test_every_ambiguous_word_gets_its_senses_and_the_control_one(sense_corpus: SenseCorpus):
    index = sense_corpus.open()
    found: dict[str, tuple[int, int, float]] = {}
    for word, senses in ambiguous_words().items():
        result = index.senses(word, keep=False)
        true = sense_corpus.truth(word)
        assert result.n_occurrences == len(true)
        n_true = 1 if word == CONTROL else len(senses)
        found[word] = (n_true, len(result), adjusted_rand_index(true, result.labels))
    assert found[CONTROL][1] == 1, found
    ambiguous = {w: v for w, v in found.items() if w != CONTROL}
    assert all(ari >= 0.9 for _, _, ari in ambiguous.values()), ambiguous
    right = sum(n_true == n for n_true, n, _ in ambiguous.values())
    assert right >= 0.8 * len(ambiguous), ambiguous


def test_labels_are_distinctive_content_words(sense_corpus: SenseCorpus):
    result = sense_corpus.open().senses("bank", keep=False)
    assert len(result) == 2
    contexts: dict[str, set[str]] = {}
    for s in sense_corpus.sentences:
        if s.word == "bank" and s.sense:
            contexts.setdefault(s.sense, set()).update(s.text.lower().split())
    true = sense_corpus.truth("bank")
    for sense in result:
        assert len(sense.label) == 4
        assert all(any(ch.isalpha() for ch in w) for w in sense.label), sense.label
        members = list(true[result.labels == sense.sense])
        majority = max(set(members), key=members.count)
        other = next(s for s in contexts if s != majority)
        # The label's best word is seen with the sense's true sense only.
        assert sense.label[0] in contexts[majority] - contexts[other], (sense.label, majority)


def test_a_new_sentence_is_tagged_with_its_sense(sense_corpus: SenseCorpus):
    result = sense_corpus.open().senses("bank", keep=False)
    river = int(result.labels[sense_corpus.truth("bank") == "river"][0])
    tag = result.assign("We walked along the [[bank]] of the river this morning .")
    assert tag.sense == river
    assert len(tag.distances) == 2
    assert tag.distances[1 - river] > tag.distances[river] + 0.05
    money = result.assign("Anna deposited some cash at the bank downtown today .")
    assert money.sense == 1 - river and money.position == 6
