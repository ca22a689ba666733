"""Detection matching at its edges (docs/metrics.md, docs/mutation.md): IoU >= 0.5, one-to-one, per frame.

Boxes are chosen so the IoU is known exactly: a detection of the same height shifted sideways by
``d`` on a box ``w`` wide has IoU ``(w - d) / (w + d)``; a detection inside the box has IoU
``area(det) / area(box)`` (a union that forgot to subtract the intersection would halve both).
"""

from __future__ import annotations

from phiphantom.benchmark.scoring import IOU_MATCH, match_detections
from phiphantom.core.detections import Detection
from phiphantom.core.ground_truth import BoxRow


def _box(x: int, y: int, w: int, h: int, frames: tuple[int, int] = (0, 1), phi: bool = True) -> BoxRow:
    return BoxRow.from_row({"bbox_x": x, "bbox_y": y, "bbox_w": w, "bbox_h": h, "frame_start": frames[0],
                            "frame_end": frames[1], "is_phi": "1" if phi else "0"}, lenient=True)


def _det(x0: int, y0: int, x1: int, y1: int, frames: tuple[int, int] = (0, 1), redacted: bool = True) -> Detection:
    return Detection(frame_start=frames[0], frame_end=frames[1], x0=x0, y0=y0, x1=x1, y1=y1, redacted=redacted)


def test_threshold_is_one_half():
    assert IOU_MATCH == 0.5


def test_perfect_and_disjoint():
    box = _box(10, 10, 30, 10)
    assert match_detections([_det(10, 10, 40, 20)], [box], 1) == (1, 0, 0)
    assert match_detections([_det(50, 10, 80, 20)], [box], 1) == (0, 1, 1)


def test_iou_exactly_one_half_matches_and_just_below_does_not():
    box = _box(0, 0, 30, 10)                        # shifted by 10: IoU (30 - 10) / (30 + 10) = 0.5
    assert match_detections([_det(10, 0, 40, 10)], [box], 1) == (1, 0, 0)
    assert match_detections([_det(11, 0, 41, 10)], [box], 1) == (0, 1, 1)   # 19 / 41 < 0.5
    assert match_detections([_det(-10, 0, 20, 10)], [box], 1) == (1, 0, 0)  # the other side, same IoU


def test_partial_overlaps_between_one_half_and_one_match():
    box = _box(0, 0, 40, 10)                        # shifted by 5: IoU 35 / 45 = 0.78 (0.44 without "- inter")
    assert match_detections([_det(5, 0, 45, 10)], [box], 1) == (1, 0, 0)
    assert match_detections([_det(0, 0, 40, 14)], [box], 1) == (1, 0, 0)    # taller: 400 / 560 = 0.71
    assert match_detections([_det(0, 2, 40, 10)], [box], 1) == (1, 0, 0)    # inside: 320 / 400 = 0.8


def test_a_detection_inside_less_than_half_the_box_does_not_match():
    box = _box(0, 0, 40, 10)
    assert match_detections([_det(0, 0, 19, 10)], [box], 1) == (0, 1, 1)    # 190 / 400
    assert match_detections([_det(0, 0, 40, 4)], [box], 1) == (0, 1, 1)     # 160 / 400


def test_one_to_one_and_best_pairs_first():
    a, b = _box(0, 0, 40, 10), _box(0, 20, 40, 10)
    dets = [_det(0, 0, 40, 10), _det(2, 0, 42, 10), _det(0, 20, 40, 30)]
    assert match_detections(dets, [a, b], 1) == (2, 1, 0)                   # the duplicate is a false positive
    wide = _det(0, 0, 40, 30)                                               # one detection over both: IoU 0.33 each
    assert match_detections([wide], [a, b], 1) == (0, 1, 2)
    # the greedy order takes the better pair: det 1 fits box b exactly, det 0 fits a well enough
    assert match_detections([_det(0, 0, 36, 10), _det(0, 20, 40, 30)], [a, b], 1) == (2, 0, 0)


def test_counts_with_several_boxes_and_detections_unmatched():
    boxes = [_box(0, 0, 30, 10), _box(0, 20, 30, 10), _box(0, 40, 30, 10)]
    assert match_detections([_det(0, 0, 30, 10)], boxes, 1) == (1, 0, 2)
    dets = [_det(0, 0, 30, 10), _det(50, 0, 80, 10), _det(50, 20, 80, 30)]
    assert match_detections(dets, boxes[:1], 1) == (1, 2, 0)


def test_frames_are_counted_separately_and_ranges_respected():
    box = _box(0, 0, 30, 10, frames=(0, 3))
    assert match_detections([_det(0, 0, 30, 10, frames=(0, 3))], [box], 3) == (3, 0, 0)
    assert match_detections([_det(0, 0, 30, 10, frames=(1, 3))], [box], 3) == (2, 0, 1)
    assert match_detections([_det(0, 0, 30, 10, frames=(2, 5))], [box], 5) == (1, 2, 2)
    late = _box(0, 0, 30, 10, frames=(2, 4))
    assert match_detections([], [late], 4) == (0, 0, 2)


def test_kept_detections_are_not_redactions():
    box = _box(0, 0, 30, 10)
    assert match_detections([_det(0, 0, 30, 10, redacted=False)], [box], 1) == (0, 0, 1)
    assert match_detections([], [], 1) == (0, 0, 0)
    assert match_detections([_det(0, 0, 0, 0)], [box], 1) == (0, 1, 1)      # an empty detection: IoU 0
