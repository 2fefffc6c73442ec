"""Backbones that torchvision and mmdet lack. Pure torch."""
from .necks import PFCNeck
from .resnet_cifar import ResNet32, ResNetCifar
from .resnext3d import ResNeXt3D
from .small_cnn import SmallCNN
from .tv_resnet import ResNet10, TorchvisionResNet

__all__ = ["SmallCNN", "ResNetCifar", "ResNet32", "ResNet10", "TorchvisionResNet", "PFCNeck", "ResNeXt3D"]
