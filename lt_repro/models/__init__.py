"""Backbones that torchvision and mmdet lack. Pure torch."""
from .small_cnn import SmallCNN

__all__ = ["SmallCNN"]
