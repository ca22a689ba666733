"""Optional NER through transformers, from a local folder (a tiny random model made here: nothing downloaded)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="NER needs the extra phiphantom[ner] (transformers, torch)")
transformers = pytest.importorskip("transformers", reason="NER needs the extra phiphantom[ner]")

from phiphantom.deid.pixels.classify import Classifier, HeaderValues  # noqa: E402
from phiphantom.deid.pixels.ner import NERUnavailable, load_ner  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "john", "smith", "lung", "mi", "0", ".", "8"]


def _tiny_model(folder, person_bias: float):
    """A 1-layer BERT token classifier whose bias makes every token B-PER (or O): deterministic output."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    config = transformers.BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=64,
                                     id2label={0: "O", 1: "B-PER", 2: "I-PER"},
                                     label2id={"O": 0, "B-PER": 1, "I-PER": 2})
    torch.manual_seed(0)
    model = transformers.BertForTokenClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, person_bias, 0.0]))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_ner_marks_people_and_the_classifier_records_it(tmp_path):
    folder = _tiny_model(tmp_path / "ner", person_bias=10.0)
    ner = load_ner(folder)
    assert set(ner("john smith")) == {"PER"}
    decision = Classifier(HeaderValues(), "balanced", ner=ner).decide("john smith")
    assert decision.redact and decision.reason == "ner:PER"


def test_ner_that_finds_nothing_leaves_the_decision_to_the_rest(tmp_path):
    ner = load_ner(_tiny_model(tmp_path / "quiet", person_bias=-10.0))
    assert ner("john smith") == []
    assert not Classifier(HeaderValues(), "balanced", ner=ner).decide("john smith").redact


def test_a_folder_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(NERUnavailable, match="not a model folder"):
        load_ner(tmp_path)
