"""OCR line preparation: which crops are inverted to dark-on-light (the median decides)."""

from __future__ import annotations

import numpy as np

from phiphantom.core.ocr import prepare_line_array


def _prepared_centre(crop: np.ndarray) -> np.ndarray:
    # no upscaling below a 4 px target, no Otsu: the crop's own grey levels inside the white border
    out = prepare_line_array(crop, target_height=1, border=3, binarise=False)
    return out[3:-3, 3:-3]


def test_light_text_on_dark_is_inverted_and_dark_on_light_kept():
    dark = np.full((4, 9), 10, np.uint8)
    dark[1:3, 2:7] = 240
    assert _prepared_centre(dark)[0, 0] == 245 and _prepared_centre(dark)[1, 2] == 15
    light = 255 - dark
    assert np.array_equal(_prepared_centre(light), light)


def test_median_of_an_even_crop_is_the_mean_of_the_middle_two():
    # half the pixels 100, half 150: the median is 125 (< 128), so the crop is inverted
    crop = np.array([[100, 150, 100, 150]], np.uint8)
    assert _prepared_centre(crop).tolist() == [[155, 105, 155, 105]]
    # 100 and 160: the median 130 is not below 128: kept as it is
    crop = np.array([[100, 160, 100, 160]], np.uint8)
    assert _prepared_centre(crop).tolist() == [[100, 160, 100, 160]]


def test_median_of_an_odd_crop_is_the_middle_value():
    assert _prepared_centre(np.array([[127, 127, 200]], np.uint8)).tolist() == [[128, 128, 55]]
    assert _prepared_centre(np.array([[128, 128, 20]], np.uint8)).tolist() == [[128, 128, 20]]


def test_prefetch_leaves_a_one_line_backend_alone_and_reads_a_batch_backend_once() -> None:
    """``CachingOCR.prefetch``: Tesseract (no ``read_lines``) is not called ahead; a backend that reads batches
    reads each distinct crop once, in one call, and ``read_line`` is then answered from the cache."""
    from phiphantom.core.ocr import CachingOCR, LineRead, TesseractBackend

    crop = np.zeros((12, 40), dtype=np.uint8)
    crop[3:9, 5:35] = 255
    other = crop.copy()
    other[3:9, 20:22] = 0

    class Batches:  # a real backend shape (read_line + read_lines), reading nothing but counting
        name = "batches"

        def __init__(self) -> None:
            self.calls: list[int] = []

        def read_line(self, image: np.ndarray) -> LineRead:
            return self.read_lines([image])[0]

        def read_lines(self, images: list[np.ndarray]) -> list[LineRead]:
            self.calls.append(len(images))
            return [LineRead(f"line {int(image.sum())}", 90.0) for image in images]

    class CountingTesseract(TesseractBackend):
        reads = 0

        def read_line(self, image: np.ndarray) -> LineRead:
            CountingTesseract.reads += 1
            return super().read_line(image)

    tesseract = CachingOCR(CountingTesseract())
    tesseract.prefetch([crop, other])
    assert CountingTesseract.reads == 0  # nothing read ahead
    tesseract.read_line(crop)
    assert CountingTesseract.reads == 1
    batches = Batches()
    cached = CachingOCR(batches)
    cached.prefetch([crop, other, crop.copy()])
    assert batches.calls == [2]  # two distinct crops, one call
    assert cached.read_line(other).text == f"line {int(other.sum())}" and batches.calls == [2]
    cached.prefetch([crop, other])
    assert batches.calls == [2]  # all read already: no call
