"""Optional named-entity recognition for burned-in text, from a local model folder only.

``--ner-model PATH`` loads a Hugging Face token-classification model (and its tokenizer) with
``transformers`` from PATH, never from a hub (``local_files_only``); the extra ``phiphantom[ner]``
installs transformers and torch. Entities labelled as people, places, organisations, dates or
identifiers make a text PHI (reason ``ner:<label>``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

PHI_ENTITIES = frozenset({"PER", "PERSON", "NAME", "PATIENT", "DOCTOR", "LOC", "LOCATION", "GPE", "ADDRESS",
                          "ORG", "ORGANIZATION", "HOSPITAL", "DATE", "TIME", "AGE", "ID", "IDNUM", "MRN", "PHONE"})


class NERUnavailable(RuntimeError):
    """transformers/torch missing, or the folder is not a usable model (message is safe to show)."""


def load_ner(path: str | Path) -> Callable[[str], list[str]]:
    """A function text -> PHI entity labels found in it, backed by the model in ``path``."""
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise NERUnavailable(f"{folder} is not a model folder (no config.json)")
    try:
        from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline
    except ImportError as exc:
        raise NERUnavailable("NER needs transformers and torch: pip install 'phiphantom[ner]'") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = AutoModelForTokenClassification.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise NERUnavailable(f"cannot load the NER model in {folder} ({type(exc).__name__})") from None
    tagger = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple",
                      device=-1)

    def labels(text: str) -> list[str]:
        found = []
        for entity in tagger(text):
            label = str(entity.get("entity_group") or entity.get("entity", "")).upper().split("-")[-1]
            if label in PHI_ENTITIES:
                found.append(label)
        return found

    return labels
