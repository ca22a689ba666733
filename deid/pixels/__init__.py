"""Burned-in text in ultrasound pixels: find it (outside the image area, every frame), classify it, redact it."""
