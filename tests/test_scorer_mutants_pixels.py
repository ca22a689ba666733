"""The pixel metric's rules pinned at their edges (docs/metrics.md), found by mutation testing (docs/mutation.md).

Each test renders real text (Pillow, no antialiasing: ink is exactly ``INK`` on ``BG``) into a small
multi-frame scene, changes the output in one precise way and checks the one rule that decides it:
``|out - in| >= max(6, s/2)`` on strong ink, the flat-fill rule, the 98% / 90% shares, the background
ring, the damage threshold and the frame bookkeeping. Every number follows from the definitions.
"""

from __future__ import annotations

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from phiphantom.benchmark.pixel_metrics import box_frames_ok, decode_luma, score_pixels, worst_case
from phiphantom.core.ground_truth import BoxRow

BG, INK = 40, 140          # ink signal s = 100, s/2 = 50
H, W, T = 48, 160, 3
X, Y = 20, 12              # the text's origin


def _text_alpha(text: str = "DOE^JOHN 1970") -> np.ndarray:
    """A full-scene 0/255 mask of ``text`` drawn without antialiasing."""
    img = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"
    draw.text((X, Y), text, fill=255, font=ImageFont.load_default(size=16))
    return np.asarray(img)


def _box(alpha_full: np.ndarray, box_id: str, phi: bool, frames: tuple[int, int] = (0, T)) -> tuple[BoxRow, np.ndarray]:
    ys, xs = np.nonzero(alpha_full)
    x0, y0, x1, y1 = int(xs.min()) - 1, int(ys.min()) - 1, int(xs.max()) + 2, int(ys.max()) + 2
    row = BoxRow.from_row({"bbox_x": x0, "bbox_y": y0, "bbox_w": x1 - x0, "bbox_h": y1 - y0, "box_id": box_id,
                           "is_phi": "1" if phi else "0", "frame_start": frames[0], "frame_end": frames[1]},
                          lenient=True)
    return row, alpha_full[y0:y1, x0:x1].copy()


def _scene(phi: bool = True, frames: tuple[int, int] = (0, T)) -> tuple[np.ndarray, BoxRow, dict[str, np.ndarray]]:
    alpha_full = _text_alpha()
    inp = np.full((T, H, W), BG, np.uint8)
    inp[:, alpha_full > 0] = INK
    row, alpha = _box(alpha_full, "b0", phi, frames)
    image_mask = np.zeros((H, W), bool)
    image_mask[:, 100:] = True     # the right part is "image"; the text sits left of it
    return inp, row, {"b0": alpha, "image_mask": image_mask}


def _ink(row: BoxRow, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y, _, _ = row.bbox
    ys, xs = np.nonzero(alpha >= 128)
    return y + ys, x + xs


def _shift_ink(inp: np.ndarray, row: BoxRow, alpha: np.ndarray, delta: int, share: float = 1.0) -> np.ndarray:
    """The input with the first ``share`` of the strong ink pixels moved by ``delta`` grey levels."""
    out = inp.copy()
    ys, xs = _ink(row, alpha)
    n = int(round(len(ys) * share))
    out[:, ys[:n], xs[:n]] = np.clip(inp[:, ys[:n], xs[:n]].astype(int) + delta, 0, 255).astype(np.uint8)
    return out


def test_scene_has_real_ink_and_a_clean_ring():
    inp, row, masks = _scene()
    x, y, w, h = row.bbox
    assert (masks["b0"] == 255).sum() > 100
    ring = np.concatenate([inp[0, y - 1, x - 1:x + w + 1], inp[0, y + h, x - 1:x + w + 1],
                           inp[0, y:y + h, x - 1], inp[0, y:y + h, x + w]])
    assert (ring == BG).all()


def test_ink_moved_by_half_its_signal_is_destroyed_and_one_level_less_is_not():
    inp, row, masks = _scene()
    for delta in (50, -50):                                   # |out - in| == s/2: destroyed
        assert box_frames_ok(inp, _shift_ink(inp, row, masks["b0"], delta), row, masks["b0"], True).all()
    for delta in (49, -49):                                   # one grey level short of s/2: kept
        assert not box_frames_ok(inp, _shift_ink(inp, row, masks["b0"], delta), row, masks["b0"], True).any()


def test_faint_ink_needs_at_least_six_grey_levels():
    inp, row, masks = _scene()
    faint = inp.copy()
    faint[inp == INK] = BG + 8                                 # s = 8: s/2 = 4, the floor of 6 decides
    assert not box_frames_ok(faint, _shift_ink(faint, row, masks["b0"], 5), row, masks["b0"], True).any()
    assert box_frames_ok(faint, _shift_ink(faint, row, masks["b0"], 6), row, masks["b0"], True).all()


def test_a_flat_fill_in_the_ink_colour_is_removal_and_a_textured_one_is_not():
    inp, row, masks = _scene()
    x, y, w, h = row.bbox
    out = inp.copy()
    out[:, y:y + h, x:x + w] = INK                             # no ink pixel changed: only the flat rule removes it
    assert box_frames_ok(inp, out, row, masks["b0"], True).all()
    checker = (np.indices((h, w)).sum(axis=0) % 2).astype(int)
    for amplitude, flat in ((1, True), (2, False)):           # std 1.0 < 1.5 is a fill; std 2.0 is not
        out[:, y:y + h, x:x + w] = (INK - amplitude + 2 * amplitude * checker).astype(np.uint8)
        assert box_frames_ok(inp, out, row, masks["b0"], True).all() == flat, amplitude


def test_clinical_box_preserved_below_ten_percent_changed_and_lost_above():
    inp, row, masks = _scene(phi=False)
    assert box_frames_ok(inp, inp.copy(), row, masks["b0"], False).all()
    assert box_frames_ok(inp, _shift_ink(inp, row, masks["b0"], -100, share=0.08), row, masks["b0"], False).all()
    assert not box_frames_ok(inp, _shift_ink(inp, row, masks["b0"], -100, share=0.12), row, masks["b0"], False).any()
    x, y, w, h = row.bbox
    out = inp.copy()
    out[:, y:y + h, x:x + w] = INK                             # the flat rule is for PHI only: clinical ink unchanged
    assert box_frames_ok(inp, out, row, masks["b0"], False).all()


def test_phi_box_removed_from_98_percent_of_its_ink():
    inp, row, masks = _scene()
    assert box_frames_ok(inp, _shift_ink(inp, row, masks["b0"], -100, share=0.985), row, masks["b0"], True).all()
    assert not box_frames_ok(inp, _shift_ink(inp, row, masks["b0"], -100, share=0.97), row, masks["b0"], True).any()


def test_signal_is_measured_against_the_ring_not_zero():
    inp, row, masks = _scene()
    lifted = inp.copy()
    lifted[lifted == BG] = 130                                 # bg 130, ink 140: s = 10, s/2 = 5 -> floor 6
    # ink moved by 7 is destroyed against the ring (needs 6); against black it would need 70
    assert box_frames_ok(lifted, _shift_ink(lifted, row, masks["b0"], 7), row, masks["b0"], True).all()


def test_ring_sides_each_count():
    inp, row, masks = _scene()
    x, y, w, h = row.bbox
    # the box's own background is BG; paint everything outside the box 120 except a one-pixel ring
    far = np.full_like(inp, 120)
    far[:, y - 1:y + h + 1, x - 1:x + w + 1] = inp[:, y - 1:y + h + 1, x - 1:x + w + 1]
    # s = 100 against the ring (BG): a change of 30 is short of 50; against 120 (s = 20) it would be enough
    assert not box_frames_ok(far, _shift_ink(far, row, masks["b0"], -30), row, masks["b0"], True).any()
    assert box_frames_ok(far, _shift_ink(far, row, masks["b0"], -50), row, masks["b0"], True).all()


def test_box_at_the_frame_edge_uses_the_ring_it_has():
    alpha_full = np.zeros((H, W), np.uint8)
    alpha_full[1:9, 1:30:2] = 255                              # ink from row 1, column 1: the box starts at 0, 0
    inp = np.full((T, H, W), BG, np.uint8)
    inp[:, alpha_full > 0] = INK
    row, alpha = _box(alpha_full, "e", True)
    assert row.bbox[:2] == (0, 0)
    assert box_frames_ok(inp, _shift_ink(inp, row, alpha, -50), row, alpha, True).all()
    assert not box_frames_ok(inp, _shift_ink(inp, row, alpha, -49), row, alpha, True).any()


def _ringed(x: int, y: int, w: int, h: int, low: set[str]) -> tuple[np.ndarray, BoxRow, np.ndarray]:
    """A box whose ring sides in ``low`` are 40 and the others 120, balanced so the ring median is 80.

    The box's own background is 60 and its ink (vertical bars) 140: signal 60, so a change of 30 is
    needed. Everything beyond the ring is 200: reading a pixel too many, too few or from the wrong
    row/column moves the median to 40, 60, 120 or 200 and the needed change with it.
    """
    fh, fw = 40, 60
    frames = np.full((T, fh, fw), 200, np.uint8)
    sides = {"top": (slice(y - 1, y), slice(max(0, x - 1), x + w + 1)), "bottom": (slice(y + h, y + h + 1),
             slice(max(0, x - 1), x + w + 1)), "left": (slice(y, y + h), slice(x - 1, x)),
             "right": (slice(y, y + h), slice(x + w, x + w + 1))}
    present = {k: v for k, v in sides.items() if (k != "top" or y > 0) and (k != "bottom" or y + h < fh)
               and (k != "left" or x > 0) and (k != "right" or x + w < fw)}
    for name, (rows, cols) in present.items():
        frames[:, rows, cols] = 40 if name in low else 120
    counts = {k: frames[0, r, c].size for k, (r, c) in present.items()}
    assert sum(v for k, v in counts.items() if k in low) * 2 == sum(counts.values()), counts
    alpha = np.zeros((h, w), np.uint8)
    alpha[2:h - 2, 2:w - 2:2] = 255
    frames[:, y:y + h, x:x + w] = np.where(alpha > 0, 140, 60)
    row = BoxRow.from_row({"bbox_x": x, "bbox_y": y, "bbox_w": w, "bbox_h": h, "box_id": "r", "is_phi": "1",
                           "frame_start": 0, "frame_end": T}, lenient=True)
    return frames, row, alpha


def test_ring_median_takes_exactly_the_one_pixel_ring_on_every_side():
    # inside the frame (x + w odd: (x + w) ^ 1 is not x + w + 1); in the top-left corner (no top, no left
    # side); in the bottom-right corner, where x | w and y ^ h fall short of x + w and y + h; on the left
    # and right edges (the top and bottom rows start at column 0 or end at the frame's width)
    cases = ((11, 8, 30, 20, {"top", "left"}), (0, 0, 20, 21, {"bottom"}), (30, 9, 30, 31, {"top"}),
             (0, 5, 10, 22, {"right"}), (50, 5, 10, 22, {"left"}))
    for x, y, w, h, low in cases:
        inp, row, alpha = _ringed(x, y, w, h, low)
        assert box_frames_ok(inp, _shift_ink(inp, row, alpha, 30), row, alpha, True).all(), (x, y)
        assert not box_frames_ok(inp, _shift_ink(inp, row, alpha, 29), row, alpha, True).any(), (x, y)


def test_faint_antialiased_box_falls_back_to_all_its_ink():
    inp, row, masks = _scene()
    faint_alpha = (masks["b0"] // 255 * 100).astype(np.uint8)  # no pixel reaches alpha 128
    assert not box_frames_ok(inp, inp.copy(), row, faint_alpha, True).any()
    assert box_frames_ok(inp, _shift_ink(inp, row, masks["b0"], -160), row, faint_alpha, True).all()


def test_frames_outside_the_range_are_ignored_and_the_first_bad_frame_is_absolute():
    inp, row, masks = _scene(frames=(1, 3))
    out = _shift_ink(inp, row, masks["b0"], -160)
    x, y, w, h = row.bbox
    out[0] = inp[0]                                            # frame 0 is outside the box's range
    assert box_frames_ok(inp, out, row, masks["b0"], True).tolist() == [True, True]
    out[2, y:y + h, x:x + w] = inp[2, y:y + h, x:x + w]         # frame 2 keeps its text
    score = score_pixels(inp, out, [row], masks)
    box = score.boxes[0]
    assert (box.frames, box.frames_ok, box.first_bad_frame, box.ok) == (2, 1, 2, False)
    assert worst_case([row])[0] == type(box)(2, 0, 1)


def test_image_damage_counts_changes_above_ten_levels_outside_boxes_only():
    inp, row, masks = _scene()
    x, y, w, h = row.bbox
    masks["image_mask"][y:y + h, x:x + w] = True               # the box lies over image too: never image damage
    free = masks["image_mask"].copy()
    free[y:y + h, x:x + w] = False
    score = score_pixels(inp, inp.copy(), [row], masks)
    assert (score.image_pixels, score.damaged_pixels, score.frames) == (int(free.sum()) * T, 0, T)
    out = _shift_ink(inp, row, masks["b0"], -160)
    out[:, :, 100:] = BG + 10                                  # 10 levels: not damage
    out[:, y:y + h, x:x + w] = 0
    assert score_pixels(inp, out, [row], masks).damaged_pixels == 0
    out[1, :, 100:] = BG + 11                                  # 11 levels on one frame: every image pixel there
    assert score_pixels(inp, out, [row], masks).damaged_pixels == int(free[:, 100:].sum())
    out[1, :, 100:] = BG - 11                                  # darker counts the same
    assert score_pixels(inp, out, [row], masks).damaged_pixels == int(free[:, 100:].sum())


def test_no_image_pixels_means_no_damage():
    inp, row, masks = _scene()
    masks["image_mask"][:] = False                             # a screen with no image region (all text)
    score = score_pixels(inp, np.zeros_like(inp), [row], masks)
    assert (score.image_pixels, score.damaged_pixels, score.boxes[0].ok) == (0, 0, True)


def test_decode_luma_of_a_real_rgb_cine(tmp_path):
    rgb = np.zeros((2, 4, 5, 3), np.uint8)
    rgb[..., 0], rgb[1, ..., 1], rgb[0, ..., 2] = 200, 100, 50
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.Rows, ds.Columns, ds.NumberOfFrames, ds.SamplesPerPixel = 4, 5, 2, 3
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "RGB", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = rgb.tobytes()
    ds.save_as(tmp_path / "rgb.dcm", enforce_file_format=True)
    luma = decode_luma(tmp_path / "rgb.dcm")
    assert luma.shape == (2, 4, 5) and luma.dtype == np.uint8
    expected = np.round(0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2])
    assert np.abs(luma.astype(int) - expected).max() <= 1
